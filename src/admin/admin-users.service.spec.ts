import { ProblemException } from '../common/problem';
import { ListUsersQuery } from './dto/admin.dto';
import { orderTerms } from '../common/paging';
import { USER_SORT_SPECS, userFilters } from './admin-users.repository';
import { refuseLockout } from './admin-users.service';

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

describe('the users list', () => {
  it('puts users who never logged in last in both orders, id breaking ties', () => {
    for (const order of ['asc', 'desc'] as const) {
      const direction = order.toUpperCase();
      const last = order === 'asc' ? 'infinity' : '-infinity';
      expect(orderTerms(USER_SORT_SPECS.last_login, order)).toEqual([
        { sql: `COALESCE(u.last_login_at, '${last}')`, direction },
        { sql: 'u.id', direction },
      ]);
    }
  });

  it('has no condition without filters', () => {
    expect(userFilters(Object.assign(new ListUsersQuery(), {}))).toEqual([]);
  });

  it('binds every value as a parameter and escapes LIKE wildcards', () => {
    const query = Object.assign(new ListUsersQuery(), {
      q: "50%_o'k\\",
      role: 'admin',
      status: 'banned',
    });
    expect(userFilters(query)).toEqual([
      {
        sql: "(u.email ILIKE :q ESCAPE '\\' OR u.name ILIKE :q ESCAPE '\\')",
        params: { q: "%50\\%\\_o'k\\\\%" },
      },
      { sql: 'u.role = :role', params: { role: 'admin' } },
      { sql: 'u.banned' },
    ]);
    expect(userFilters({ status: 'active' })).toEqual([{ sql: 'NOT u.banned' }]);
  });
});
