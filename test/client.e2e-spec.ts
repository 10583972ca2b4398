import type { AddressInfo } from 'node:net';
import {
  completeTask,
  createClient,
  createConfig,
  createTask,
  deleteTask,
  getMe,
  getTask,
  listTasks,
  register,
  type Task,
  updateTask,
} from '../client/src';
import { uniqueEmail } from './support/builders';
import { createTestApp, TestApp } from './support/test-app';

/**
 * The generated client (client/, from the committed openapi.json) against the running app over
 * real HTTP: if the document cannot express what the API does, this is where it shows.
 * Each step builds on the previous one's state, as an integrator's program would.
 */
describe('Generated client against the running app', () => {
  let t: TestApp;
  let baseUrl: string;
  let token: string;
  /** A client that sends the current user's bearer token. */
  const api = () => createClient(createConfig({ baseUrl, auth: () => token }));
  const state: { task?: Task; other?: Task; userId?: string } = {};

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => t.close());

  it('registers, then knows who it is', async () => {
    const email = uniqueEmail('client');
    const registered = await register({
      client: api(),
      body: { email, password: 'password-123', name: 'Client' },
    });
    expect(registered.response.status).toBe(201);
    expect(registered.data).toMatchObject({ user: { email, name: 'Client', role: 'user' } });
    token = registered.data!.access_token;
    state.userId = registered.data!.user.id;

    const me = await getMe({ client: api() });
    expect(me.data?.id).toBe(state.userId);
  });

  it('creates a task with all fields', async () => {
    const created = await createTask({
      client: api(),
      path: { user_id: 'me' },
      body: {
        title: '  Write the report  ',
        description: 'Numbers first',
        completed: false,
        priority: 'high',
        due_date: '2026-12-01T09:00:00.000Z',
        tags: ['Work', 'q4'],
      },
    });
    expect(created.response.status).toBe(201);
    const task = created.data!;
    expect(task).toMatchObject({
      title: 'Write the report',
      description: 'Numbers first',
      completed: false,
      completed_at: null,
      priority: 'high',
      due_date: '2026-12-01T09:00:00.000Z',
      tags: ['work', 'q4'],
      user_id: state.userId,
    });
    expect(created.response.headers.get('location')).toBe(`/api/${state.userId}/tasks/${task.id}`);
    state.task = task;

    const other = await createTask({
      client: api(),
      path: { user_id: state.userId! },
      body: { title: 'Another one', completed: true },
    });
    expect(other.response.status).toBe(201);
    state.other = other.data!;
  });

  it('lists with filters, with the total in X-Total-Count', async () => {
    const pending = await listTasks({
      client: api(),
      path: { user_id: 'me' },
      query: { status: 'pending', sort: 'title', order: 'asc', limit: 10 },
    });
    expect(pending.response.status).toBe(200);
    expect(pending.data!.map((task) => task.id)).toEqual([state.task!.id]);
    expect(pending.response.headers.get('x-total-count')).toBe('1');

    const all = await listTasks({ client: api(), path: { user_id: 'me' }, query: { limit: 1 } });
    expect(all.data).toHaveLength(1);
    expect(all.response.headers.get('x-total-count')).toBe('2');
  });

  it('updates, with the new ETag', async () => {
    const read = await getTask({ client: api(), path: { user_id: 'me', id: state.task!.id } });
    const etag = read.response.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);

    const updated = await updateTask({
      client: api(),
      path: { user_id: 'me', id: state.task!.id },
      body: { title: 'Write the final report', priority: 'low', due_date: null },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({
      title: 'Write the final report',
      priority: 'low',
      due_date: null,
      description: 'Numbers first',
    });
    expect(updated.response.headers.get('etag')).not.toBe(etag);
  });

  it('completes', async () => {
    const completed = await completeTask({
      client: api(),
      path: { user_id: 'me', id: state.task!.id },
      body: { completed: true },
    });
    expect(completed.response.status).toBe(200);
    expect(completed.data).toMatchObject({ completed: true, completed_at: expect.any(String) });
  });

  it('deletes, after which the task is a typed 404 problem', async () => {
    const deleted = await deleteTask({
      client: api(),
      path: { user_id: 'me', id: state.task!.id },
    });
    expect(deleted.response.status).toBe(204);

    const gone = await getTask({ client: api(), path: { user_id: 'me', id: state.task!.id } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ status: 404, code: 'TASK_NOT_FOUND' });
    const rows = await t.sql('SELECT 1 FROM tasks WHERE id = $1', [state.task!.id]);
    expect(rows).toHaveLength(0);
  });

  it('gets validation errors as a typed problem listing each field', async () => {
    const invalid = await createTask({
      client: api(),
      path: { user_id: 'me' },
      body: { title: '', priority: 'urgent' as never },
    });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error?.code).toBe('VALIDATION_FAILED');
    expect(invalid.error?.errors?.map((error) => error.field).sort()).toEqual([
      'priority',
      'title',
    ]);
  });

  it('without a token gets 401 UNAUTHENTICATED', async () => {
    const anonymous = createClient(createConfig({ baseUrl }));
    const response = await listTasks({ client: anonymous, path: { user_id: 'me' } });
    expect(response.response.status).toBe(401);
    expect(response.error?.code).toBe('UNAUTHENTICATED');
  });

  // Added once issues 4 and 5 are merged and their operations are in openapi.json:
  it.todo('follows rel="next" from the first page and sees every task exactly once');
  it.todo('updates with If-Match, and gets 412 with a stale ETag');
  it.todo('refreshes the session and logs out');
  it.todo('admin: logs in as the admin, lists users, bans one, reads the audit log');
});
