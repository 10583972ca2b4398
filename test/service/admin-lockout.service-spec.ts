import { AdminUsersRepository } from '../../src/admin/admin-users.repository';
import { AdminUsersService } from '../../src/admin/admin-users.service';
import { AuditLogRepository } from '../../src/admin/audit-log.repository';
import { AuditLogService } from '../../src/admin/audit-log.service';
import { countRows, insertUsers, outcomeOf, useServiceModule } from '../support/service-module';

/** The contract's lockout rules, case by case: no self-action, never zero active admins. */
describe('AdminUsersService: nobody is locked out of administration', () => {
  const m = useServiceModule({
    providers: [
      AdminUsersService,
      AdminUsersRepository,
      AuditLogService,
      AuditLogRepository,
    ],
  });
  const service = () => m.get(AdminUsersService);

  const actions = {
    demote: (actor: string, target: string) => service().changeRole(actor, target, 'user'),
    ban: (actor: string, target: string) => service().ban(actor, target, 'coup'),
    delete: (actor: string, target: string) => service().remove(actor, target),
  };
  type Action = keyof typeof actions;
  const ACTIONS = Object.keys(actions) as Action[];

  const activeAdmins = async () =>
    (
      await m.sql.rows<{ id: string }>(
        `SELECT id FROM users WHERE role = 'admin' AND NOT banned ORDER BY id`,
      )
    ).map((row) => row.id);
  const auditCount = () => countRows(m.sql, 'audit_log');

  /** `admins` active admins, then one banned admin (who must not count) and one plain user. */
  async function setUp(admins: number) {
    await m.sql.execute('TRUNCATE users, audit_log CASCADE');
    const ids = await insertUsers(m.sql, [...Array(admins + 1).fill('admin'), 'user']);
    const bannedAdmin = ids[admins];
    await m.sql.execute('UPDATE users SET banned = true WHERE id = $1', [bannedAdmin]);
    return { admins: ids.slice(0, admins), bannedAdmin, user: ids[admins + 1] };
  }

  type Target = 'self' | 'another admin' | 'a banned admin' | 'a plain user';
  const cases = [1, 2, 3].flatMap((admins) =>
    ACTIONS.flatMap((action) =>
      (['self', 'another admin', 'a banned admin', 'a plain user'] as Target[])
        .filter((target) => target !== 'another admin' || admins > 1)
        .map((target) => {
          const expected = target !== 'self' ? 'ok' : admins === 1 ? 'LAST_ADMIN' : 'SELF_ACTION';
          return [admins, action, target, expected] as const;
        }),
    ),
  );

  it.each(cases)(
    'with %i active admin(s), %s of %s: %s',
    async (count, action, target, expected) => {
      const { admins, bannedAdmin, user } = await setUp(count);
      const [actor, other] = admins;
      const targetId = {
        self: actor,
        'another admin': other,
        'a banned admin': bannedAdmin,
        'a plain user': user,
      }[target];

      expect(await outcomeOf(actions[action](actor, targetId))).toBe(expected);

      const lostAnAdmin = expected === 'ok' && target === 'another admin';
      expect(await activeAdmins()).toEqual(
        admins.filter((id) => !(lostAnAdmin && id === other)).sort(),
      );
      // One audit entry per change; a refused change and one with nothing to do write none.
      const nothingToDo =
        (action === 'demote' && target === 'a plain user') ||
        (action === 'ban' && target === 'a banned admin');
      expect(await auditCount()).toBe(expected === 'ok' && !nothingToDo ? 1 : 0);
    },
  );

  it('a banned admin or a plain user cannot act at all: FORBIDDEN', async () => {
    const { admins, bannedAdmin, user } = await setUp(2);
    for (const action of ACTIONS) {
      expect(await outcomeOf(actions[action](bannedAdmin, admins[0]))).toBe('FORBIDDEN');
      expect(await outcomeOf(actions[action](user, admins[0]))).toBe('FORBIDDEN');
    }
    expect(await activeAdmins()).toEqual([...admins].sort());
    expect(await auditCount()).toBe(0);
  });

  it('a target that does not exist: USER_NOT_FOUND', async () => {
    const { admins } = await setUp(1);
    for (const action of ACTIONS) {
      expect(
        await outcomeOf(actions[action](admins[0], '00000000-0000-4000-8000-000000000000')),
      ).toBe('USER_NOT_FOUND');
    }
  });

  it('the last admin may promote a user, who can then demote it', async () => {
    const { admins, user } = await setUp(1);
    await service().changeRole(admins[0], user, 'admin');
    expect(await outcomeOf(actions.demote(user, admins[0]))).toBe('ok');
    expect(await activeAdmins()).toEqual([user]);
  });

  describe('admins acting on each other at the same moment', () => {
    const ROUNDS = Array.from({ length: Number(process.env.LOCKOUT_ROUNDS ?? 3) }, (_, i) => i + 1);
    const rounds = ACTIONS.flatMap((action) => ROUNDS.map((round) => [action, round] as const));

    it.each(rounds)('two admins, %s each other, round %i: exactly one wins', async (action) => {
      const { admins } = await setUp(2);
      const [a, b] = admins;
      const outcomes = await Promise.all([
        outcomeOf(actions[action](a, b)),
        outcomeOf(actions[action](b, a)),
      ]);
      // The loser is no longer an admin by the time its transaction gets the lock.
      expect(outcomes.sort()).toEqual(['FORBIDDEN', 'ok']);
      const remaining = await activeAdmins();
      expect(remaining).toHaveLength(1);
      expect(admins).toContain(remaining[0]);
      expect(await auditCount()).toBe(1);
    });

    // Rounds, because a lock taken out of order deadlocks only in some interleavings.
    it.each(rounds)(
      'three admins, each %s both others at once, round %i: one admin remains',
      async (action) => {
        const { admins } = await setUp(3);
        const pairs = admins.flatMap((actor) =>
          admins.filter((target) => target !== actor).map((target) => [actor, target]),
        );
        const outcomes = await Promise.all(
          pairs.map(([actor, target]) => outcomeOf(actions[action](actor, target))),
        );
        expect(outcomes).toContain('ok');
        expect(outcomes.filter((o) => !['ok', 'FORBIDDEN', 'USER_NOT_FOUND'].includes(o))).toEqual(
          [],
        );
        expect(await activeAdmins()).toHaveLength(1);
        expect(await auditCount()).toBe(2);
      },
    );
  });
});
