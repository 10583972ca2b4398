import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DEMO_PASSWORD, seedDemoData } from '../src/database/seed';
import { authApi, bearer } from './support/auth';
import { createTestApp, createTestDatabase, useTestApp } from './support/test-app';

jest.setTimeout(60_000);

const run = promisify(execFile);
const SEED = join(__dirname, '..', 'dist', 'src', 'seed.js');

describe('Demo data (npm run seed)', () => {
  const t = useTestApp();

  const snapshot = async () => ({
    users: await t.sql('SELECT * FROM users ORDER BY email'),
    tasks: await t.sql('SELECT * FROM tasks ORDER BY id'),
  });

  it('creates users (one admin) and tasks with every field set, and a second run changes nothing', async () => {
    const first = await seedDemoData(t.app.get(DataSource));
    expect(first).toEqual({ usersCreated: 3, tasksCreated: 6 });
    const before = await snapshot();
    expect(await seedDemoData(t.app.get(DataSource))).toEqual({ usersCreated: 0, tasksCreated: 0 });
    expect(await snapshot()).toEqual(before);

    const { login } = authApi(t);
    const admin = await login({ email: 'admin@example.com', password: DEMO_PASSWORD }).expect(200);
    expect(admin.body.user.role).toBe('admin');

    const alice = await login({ email: 'alice@example.com', password: DEMO_PASSWORD }).expect(200);
    expect(alice.body.user.role).toBe('user');
    const tasks = await t
      .http()
      .get('/api/me/tasks')
      .set(bearer(alice.body.access_token))
      .expect(200);
    expect(tasks.body).toHaveLength(3);
    for (const task of tasks.body) {
      for (const field of ['title', 'description', 'priority', 'due_date', 'tags']) {
        expect(task[field]).toBeTruthy();
      }
    }
    expect(tasks.body.some((task: { completed: boolean }) => task.completed)).toBe(true);
  });

  it('leaves an account someone registered with a demo email alone', async () => {
    const fresh = await createTestApp();
    try {
      await fresh
        .http()
        .post('/api/auth/register')
        .send({ email: 'bob@example.com', password: 'bobs-own-password' })
        .expect(201);
      await seedDemoData(fresh.app.get(DataSource));
      await authApi(fresh)
        .login({ email: 'bob@example.com', password: 'bobs-own-password' })
        .expect(200);
      const rows = await fresh.sql(
        `SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.email = 'bob@example.com'`,
      );
      expect(rows).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  // dist/ is built by npm's pretest step.
  describe('the command', () => {
    const seedCommand = (env: Record<string, string>) => {
      const inherited = { ...process.env };
      delete inherited.DATABASE_URL;
      return run(process.execPath, [SEED], { env: { ...inherited, ...env } });
    };

    it('migrates and seeds the database named by DATABASE_URL, idempotently', async () => {
      const database = await createTestDatabase();
      try {
        const env = { NODE_ENV: 'development', DATABASE_URL: database.url };
        expect((await seedCommand(env)).stdout).toContain('3 users and 6 tasks created');
        expect((await seedCommand(env)).stdout).toContain('0 users and 0 tasks created');
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          const { rows } = await client.query(
            "SELECT count(*)::int AS admins FROM users WHERE role = 'admin'",
          );
          expect(rows[0].admins).toBe(1);
        } finally {
          await client.end();
        }
      } finally {
        await database.drop();
      }
    });

    it('refuses to put demo accounts into a production database', async () => {
      const database = await createTestDatabase();
      try {
        await expect(
          seedCommand({
            NODE_ENV: 'production',
            JWT_SECRET: 'x'.repeat(40),
            DATABASE_URL: database.url,
          }),
        ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('NODE_ENV') });
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          const { rows } = await client.query("SELECT to_regclass('users') AS users");
          expect(rows[0].users).toBeNull();
        } finally {
          await client.end();
        }
      } finally {
        await database.drop();
      }
    });
  });
});
