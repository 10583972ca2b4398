import { expectProblem, registerUser, Registered } from './support/builders';
import { adminApi, registerAdmin } from './support/admin';
import { auditCount as countAudit } from './support/db';
import { useTestApp } from './support/test-app';

/** Nobody is ever locked out of administration, even when admins act on each other at once. */
describe('Admin: never zero admins', () => {
  const t = useTestApp();

  const activeAdmins = async () =>
    (await t.sql<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND NOT banned`)).map(
      (row) => row.id,
    );
  const auditCount = () => countAudit(t);

  /** Exactly these users are admins (set up directly in the database). */
  async function onlyAdmins(...admins: Registered[]) {
    await t.sql(`UPDATE users SET role = 'user' WHERE role = 'admin'`);
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = ANY($1)`, [admins.map((a) => a.id)]);
  }

  const actions = {
    demote: (actor: Registered, target: Registered) =>
      adminApi(t, actor).setRole(target.id, 'user'),
    ban: (actor: Registered, target: Registered) =>
      adminApi(t, actor).ban(target.id, { reason: 'coup' }),
    delete: (actor: Registered, target: Registered) => adminApi(t, actor).deleteUser(target.id),
  };

  describe('the last admin cannot be demoted, banned or deleted: 409 LAST_ADMIN', () => {
    it.each(Object.keys(actions) as (keyof typeof actions)[])('%s', async (action) => {
      const last = await registerAdmin(t);
      const bannedAdmin = await registerAdmin(t);
      await onlyAdmins(last, bannedAdmin);
      // A banned admin cannot administer: it does not count.
      await t.sql('UPDATE users SET banned = true WHERE id = $1', [bannedAdmin.id]);
      const before = await auditCount();
      expectProblem(await actions[action](last, last), 409, 'LAST_ADMIN');
      expect(await activeAdmins()).toEqual([last.id]);
      expect(await auditCount()).toBe(before);
      await t.http().get('/api/admin/stats').set(last.auth).expect(200);
    });

    it('with a second admin, the same self-action is SELF_ACTION instead', async () => {
      const first = await registerAdmin(t);
      const second = await registerAdmin(t);
      await onlyAdmins(first, second);
      expectProblem(await actions.demote(first, first), 409, 'SELF_ACTION');
      expect((await activeAdmins()).sort()).toEqual([first.id, second.id].sort());
    });
  });

  describe('two admins acting on each other at the same moment', () => {
    const rounds = (['demote', 'ban', 'delete'] as const).flatMap((action) =>
      [1, 2, 3].map((round) => [action, round] as const),
    );

    it.each(rounds)('%s, round %i: exactly one wins and one admin remains', async (action) => {
      const a = await registerAdmin(t);
      const b = await registerAdmin(t);
      await onlyAdmins(a, b);
      const before = await auditCount();

      const responses = await Promise.all([actions[action](a, b), actions[action](b, a)]);

      const statuses = responses.map((response) => response.status).sort();
      const success = action === 'delete' ? 204 : 200;
      expect(statuses.filter((status) => status === success)).toHaveLength(1);
      const loser = responses.find((response) => response.status !== success)!;
      // The loser is no longer an admin by the time its change runs (or even reaches the guard).
      expect([401, 403, 409]).toContain(loser.status);
      const remaining = await activeAdmins();
      expect(remaining).toHaveLength(1);
      expect([a.id, b.id]).toContain(remaining[0]);
      expect(await auditCount()).toBe(before + 1);
    });
  });

  it('a plain user promoted by the last admin can then take over', async () => {
    const last = await registerAdmin(t);
    const heir = await registerUser(t);
    await onlyAdmins(last);
    await adminApi(t, last).setRole(heir.id, 'admin').expect(200);
    await actions.demote(heir, last).expect(200);
    expect(await activeAdmins()).toEqual([heir.id]);
  });
});
