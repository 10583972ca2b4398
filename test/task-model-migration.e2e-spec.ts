import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS } from '../src/database/data-source-options';
import { runMigrations } from '../src/database/migrate';
import { createTestDatabase } from './support/test-app';

jest.setTimeout(30_000);

/**
 * The lists migration on a database that already holds users and tasks: every old task lands in
 * its owner's Inbox, top-level, in creation order; every user has exactly one default list.
 */
describe('Migration ListsSubtasksRecurrence on existing data', () => {
  it('gives every account its Inbox holding its old tasks, in creation order', async () => {
    const database = await createTestDatabase();
    const before = new DataSource({
      ...dataSourceOptions({ url: database.url, poolMax: 2 }),
      migrations: MIGRATIONS.slice(0, -1),
    });
    await before.initialize();
    try {
      await runMigrations(before);
      const users = await before.query(
        `INSERT INTO users (email, password_hash) VALUES ('a@x.io', 'x'), ('b@x.io', 'x'), ('c@x.io', 'x')
         RETURNING id, email`,
      );
      const [a, b] = users as { id: string }[];
      // Alice's tasks inserted out of creation order, Bob's with a shared timestamp (ties by id).
      await before.query(
        `INSERT INTO tasks (user_id, title, created_at)
         SELECT $1, 'a' || n, now() - (10 - n) * interval '1 minute' FROM generate_series(1, 9) n
         ORDER BY random()`,
        [a.id],
      );
      await before.query(
        `INSERT INTO tasks (user_id, title, created_at) SELECT $1, 'b' || n, now() FROM generate_series(1, 3) n`,
        [b.id],
      );
    } finally {
      await before.destroy();
    }

    const after = new DataSource(dataSourceOptions({ url: database.url, poolMax: 2 }));
    await after.initialize();
    try {
      expect(await runMigrations(after)).toEqual(['ListsSubtasksRecurrence1764100000000']);
      const lists = await after.query(
        `SELECT u.email, count(l.id)::int AS lists, count(l.id) FILTER (WHERE l.is_default AND l.name = 'Inbox')::int AS inboxes
           FROM users u LEFT JOIN lists l ON l.user_id = u.id GROUP BY u.email ORDER BY u.email`,
      );
      expect(lists).toEqual([
        { email: 'a@x.io', lists: 1, inboxes: 1 },
        { email: 'b@x.io', lists: 1, inboxes: 1 },
        { email: 'c@x.io', lists: 1, inboxes: 1 },
      ]);
      const tasks: { email: string; title: string; in_inbox: boolean; parent_id: null }[] =
        await after.query(
          `SELECT u.email, t.title, l.is_default AS in_inbox, t.parent_id
             FROM tasks t JOIN users u ON u.id = t.user_id JOIN lists l ON l.id = t.list_id
            ORDER BY u.email, t.position`,
        );
      expect(tasks.every((task) => task.in_inbox && task.parent_id === null)).toBe(true);
      expect(tasks.filter((task) => task.email === 'a@x.io').map((task) => task.title)).toEqual(
        Array.from({ length: 9 }, (_, i) => `a${i + 1}`),
      );
      const [{ distinct }] = await after.query(
        `SELECT count(DISTINCT (list_id, position))::int AS distinct FROM tasks`,
      );
      expect(distinct).toBe(12);
      // A user made after the migration gets an Inbox from the trigger.
      const [{ id }] = await after.query(
        `INSERT INTO users (email, password_hash) VALUES ('d@x.io', 'x') RETURNING id`,
      );
      expect(
        await after.query(`SELECT name, is_default FROM lists WHERE user_id = $1`, [id]),
      ).toEqual([{ name: 'Inbox', is_default: true }]);
    } finally {
      await after.destroy();
      await database.drop();
    }
  });
});
