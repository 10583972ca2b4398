import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.setup';
import { loadConfig } from '../src/config/config';
import { createTestDatabase, TEST_JWT_SECRET } from './support/test-app';

/** ADMIN_EMAIL / ADMIN_PASSWORD: the first admin comes from configuration, at start-up. */
describe('Bootstrap admin', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  const running: NestFastifyApplication[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'task-api-bootstrap-'));
  });
  afterAll(async () => {
    for (const app of running) await app.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One start-up of the real app on the shared database. */
  async function start(env: Record<string, string>): Promise<NestFastifyApplication> {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '2',
      ...env,
    });
    const app = await createApp(config, database.url, { logger: false });
    running.push(app);
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }
  const sql = (app: NestFastifyApplication, query: string, params: unknown[] = []) =>
    app.get(DataSource).query(query, params);
  const state = (app: NestFastifyApplication) =>
    sql(
      app,
      `SELECT (SELECT json_agg(u ORDER BY id) FROM users u) AS users,
              (SELECT json_agg(a ORDER BY id) FROM audit_log a) AS audit`,
    );

  it('creates the account as an admin, and a second start-up changes nothing', async () => {
    const env = { ADMIN_EMAIL: ' Root@Example.com ', ADMIN_PASSWORD: 'bootstrap-pass-1' };
    const first = await start(env);
    const login = await request(first.getHttpServer())
      .post('/api/auth/login')
      .send({ email: 'root@example.com', password: 'bootstrap-pass-1' })
      .expect(200);
    expect(login.body.user).toMatchObject({ email: 'root@example.com', role: 'admin' });
    await request(first.getHttpServer())
      .get('/api/admin/stats')
      .set('Authorization', `Bearer ${login.body.access_token}`)
      .expect(200);
    const [entry] = await sql(
      first,
      `SELECT * FROM audit_log WHERE action = 'user.bootstrap_admin'`,
    );
    expect(entry).toMatchObject({
      actor_id: null,
      target_id: login.body.user.id,
      details: { created: true },
    });

    const before = await state(first);
    const second = await start({ ...env, ADMIN_PASSWORD: 'another-password' });
    expect(await state(second)).toEqual(before);
    // The existing account keeps its password.
    await request(second.getHttpServer())
      .post('/api/auth/login')
      .send({ email: 'root@example.com', password: 'bootstrap-pass-1' })
      .expect(200);
  });

  it('promotes an existing account without needing ADMIN_PASSWORD', async () => {
    const app = running[0];
    const registered = await request(app.getHttpServer())
      .post('/api/auth/register')
      .send({ email: 'later@example.com', password: 'password-123' })
      .expect(201);
    expect(registered.body.user.role).toBe('user');
    const promoted = await start({ ADMIN_EMAIL: 'LATER@example.com' });
    const [row] = await sql(promoted, 'SELECT role FROM users WHERE id = $1', [
      registered.body.user.id,
    ]);
    expect(row.role).toBe('admin');
    // Its existing token now reaches the admin routes: the role is read on every request.
    await request(promoted.getHttpServer())
      .get('/api/admin/stats')
      .set('Authorization', `Bearer ${registered.body.access_token}`)
      .expect(200);
    const entries = await sql(promoted, 'SELECT details FROM audit_log WHERE target_id = $1', [
      registered.body.user.id,
    ]);
    expect(entries).toEqual([{ details: { created: false, from: 'user' } }]);
  });

  it('refuses to start when the account does not exist and ADMIN_PASSWORD is unset', async () => {
    await expect(start({ ADMIN_EMAIL: 'nobody@example.com' })).rejects.toThrow(/ADMIN_PASSWORD/);
    const rows = await sql(running[0], `SELECT 1 FROM users WHERE email = 'nobody@example.com'`);
    expect(rows).toHaveLength(0);
  });
});
