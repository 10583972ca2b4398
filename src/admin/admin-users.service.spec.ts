import { ProblemException } from '../common/problem';
import { ListUsersQuery } from './dto/admin.dto';
import { refuseLockout, usersListQuery } from './admin-users.service';

describe('refuseLockout', () => {
  const ACTOR = 'a';
  const target = (id: string, role: 'user' | 'admin', banned = false) => ({
    id,
    email: `${id}@example.com`,
    role,
    banned,
  });
  const codeOf = (run: () => void) => {
    try {
      run();
      return 'allowed';
    } catch (error) {
      return (error as ProblemException).code;
    }
  };

  it.each([
    ['another admin, with two admins', target('b', 'admin'), [ACTOR, 'b'], 'allowed'],
    ['a plain user', target('u', 'user'), [ACTOR], 'allowed'],
    ['a banned admin, the actor remaining', target('b', 'admin', true), [ACTOR], 'allowed'],
    ['itself, with another admin', target(ACTOR, 'admin'), [ACTOR, 'b'], 'SELF_ACTION'],
    ['itself, the last admin', target(ACTOR, 'admin'), [ACTOR], 'LAST_ADMIN'],
  ] as const)('acting on %s', (_, who, activeAdmins, expected) => {
    expect(codeOf(() => refuseLockout(ACTOR, who, [...activeAdmins], 'demote'))).toBe(expected);
  });
});

describe('usersListQuery', () => {
  const query = (fields: Partial<ListUsersQuery>) =>
    Object.assign(new ListUsersQuery(), fields) as ListUsersQuery;

  it('sorts newest first by default, id breaking ties, with no filter', () => {
    expect(usersListQuery(query({}))).toEqual({
      where: '',
      orderBy: 'u.created_at DESC, u.id DESC',
      params: [],
    });
  });

  it('puts users who never logged in last in both orders', () => {
    expect(usersListQuery(query({ sort: 'last_login', order: 'asc' })).orderBy).toBe(
      'u.last_login_at ASC NULLS LAST, u.id ASC',
    );
    expect(usersListQuery(query({ sort: 'last_login' })).orderBy).toBe(
      'u.last_login_at DESC NULLS LAST, u.id DESC',
    );
  });

  it('binds every value as a parameter and escapes LIKE wildcards', () => {
    const built = usersListQuery(query({ q: "50%_o'k\\", role: 'admin', status: 'banned' }));
    expect(built.params).toEqual(["%50\\%\\_o'k\\\\%", 'admin']);
    expect(built.where).toBe(
      'WHERE (u.email ILIKE $1 OR u.name ILIKE $1) AND u.role = $2 AND u.banned',
    );
  });
});
