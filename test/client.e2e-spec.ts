import type { AddressInfo } from 'node:net';
import {
  banUser,
  completeTask,
  createApiToken,
  createClient,
  createList,
  createConfig,
  createTask,
  deleteApiToken,
  deleteTask,
  deleteTrashedTask,
  emptyTrash,
  getMe,
  getStats,
  getTask,
  getUser,
  listApiTokens,
  listAuditLog,
  listChanges,
  listCompletions,
  listLists,
  listTasks,
  listTrash,
  listUsers,
  login,
  logout,
  moveList,
  moveTask,
  refresh,
  register,
  restoreTask,
  type Task,
  unbanUser,
  updateTask,
} from '../client/src';
import { uniqueEmail } from './support/builders';
import { useTestApp } from './support/test-app';

/**
 * The generated client (client/, from the committed openapi.json) against the running app over
 * real HTTP: if the document cannot express what the API does, this is where it shows.
 * Each step builds on the previous one's state, as an integrator's program would.
 */
describe('Generated client against the running app', () => {
  let baseUrl: string;
  let token: string;
  /** A client that sends the current user's bearer token. */
  const api = () => createClient(createConfig({ baseUrl, auth: () => token }));
  const state: { task?: Task; other?: Task; userId?: string; email?: string } = {};
  const ADMIN = { email: 'root@example.com', password: 'admin-password-1' };
  const PASSWORD = 'password-123';
  const t = useTestApp({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });

  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  it('registers, then knows who it is', async () => {
    const email = uniqueEmail('client');
    state.email = email;
    const registered = await register({
      client: api(),
      body: { email, password: PASSWORD, name: 'Client' },
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

    const toggled = await completeTask({
      client: api(),
      path: { user_id: 'me', id: state.task!.id },
    });
    expect(toggled.data).toMatchObject({ completed: false, completed_at: null });
  });

  it('keeps lists, a subtask, a manual order and a recurring task', async () => {
    const created = await createList({
      client: api(),
      path: { user_id: 'me' },
      body: { name: 'Errands', color: '#33AAFF' },
    });
    expect(created.response.status).toBe(201);
    const errands = created.data!;
    expect(errands).toMatchObject({ name: 'Errands', color: '#33aaff', is_default: false });
    const lists = await listLists({ client: api(), path: { user_id: 'me' } });
    expect(lists.data!.map((list) => list.name)).toEqual(['Inbox', 'Errands']);
    await moveList({
      client: api(),
      path: { user_id: 'me', id: errands.id },
      body: { before: lists.data![0].id },
    });
    const reordered = await listLists({ client: api(), path: { user_id: 'me' } });
    expect(reordered.data!.map((list) => list.name)).toEqual(['Errands', 'Inbox']);

    const shop = (
      await createTask({
        client: api(),
        path: { user_id: 'me' },
        body: { title: 'Shop', list_id: errands.id },
      })
    ).data!;
    const milk = (
      await createTask({
        client: api(),
        path: { user_id: 'me' },
        body: { title: 'Milk', parent_id: shop.id },
      })
    ).data!;
    expect(milk).toMatchObject({ parent_id: shop.id, list_id: errands.id });
    const bank = (
      await createTask({
        client: api(),
        path: { user_id: 'me' },
        body: { title: 'Bank', list_id: errands.id },
      })
    ).data!;
    const moved = await moveTask({
      client: api(),
      path: { user_id: 'me', id: bank.id },
      body: { before: shop.id },
    });
    expect(moved.response.status).toBe(200);
    const ordered = await listTasks({
      client: api(),
      path: { user_id: 'me' },
      query: { list_id: errands.id, parent_id: 'none', sort: 'position' },
    });
    expect(ordered.data!.map((task) => task.title)).toEqual(['Bank', 'Shop']);

    const weekly = (
      await createTask({
        client: api(),
        path: { user_id: 'me' },
        body: {
          title: 'Stand-up notes',
          due_date: '2030-01-07T08:00:00.000Z',
          recurrence: 'RRULE:FREQ=WEEKLY;BYDAY=MO',
          timezone: 'Europe/Berlin',
        },
      })
    ).data!;
    expect(weekly).toMatchObject({ recurrence: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'Europe/Berlin' });
    const done = await completeTask({
      client: api(),
      path: { user_id: 'me', id: weekly.id },
      body: { completed: true },
    });
    expect(done.data).toMatchObject({ completed: false, due_date: '2030-01-14T08:00:00.000Z' });
    const completions = await listCompletions({
      client: api(),
      path: { user_id: 'me', id: weekly.id },
    });
    expect(completions.data).toEqual([
      expect.objectContaining({ task_id: weekly.id, due_date: '2030-01-07T08:00:00.000Z' }),
    ]);
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

  it('follows rel="next" from the first page and sees every task exactly once', async () => {
    for (let i = 1; i <= 6; i++) {
      const created = await createTask({
        client: api(),
        path: { user_id: 'me' },
        body: { title: `Page task ${i}`, tags: ['paged'] },
      });
      expect(created.response.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listTasks({
        client: api(),
        path: { user_id: 'me' },
        query: { tag: 'paged', sort: 'title', order: 'asc', limit: 4, cursor },
      });
      expect(page.response.status).toBe(200);
      expect(page.response.headers.get('x-total-count')).toBe('6');
      seen.push(...page.data!.map((task) => task.title));
      // The Link header's URL carries the next cursor: the client passes it back as a parameter.
      const link = page.response.headers.get('link');
      cursor = link
        ? (new URL(/^<([^>]+)>; rel="next"$/.exec(link)![1], baseUrl).searchParams.get('cursor') ??
          undefined)
        : undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((i) => `Page task ${i}`));
  });

  it('replays a create with the same Idempotency-Key instead of creating twice', async () => {
    const send = () =>
      createTask({
        client: api(),
        path: { user_id: 'me' },
        headers: { 'Idempotency-Key': `client-${state.userId}` },
        body: { title: 'Exactly once' },
      });
    const first = await send();
    const again = await send();
    expect([first.response.status, again.response.status]).toEqual([201, 201]);
    expect(again.data!.id).toBe(first.data!.id);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    const rows = await t.sql("SELECT 1 FROM tasks WHERE title = 'Exactly once'");
    expect(rows).toHaveLength(1);
  });

  it('updates with If-Match, and gets 412 with a stale ETag', async () => {
    const id = state.other!.id;
    const read = await getTask({ client: api(), path: { user_id: 'me', id } });
    const etag = read.response.headers.get('etag')!;

    /** An update of the task's title, conditional on the ETag read above. */
    const updateIfUnchanged = (title: string) =>
      updateTask({
        client: api(),
        path: { user_id: 'me', id },
        headers: { 'If-Match': etag },
        body: { title },
      });
    const updated = await updateIfUnchanged('Changed while fresh');
    expect(updated.response.status).toBe(200);
    const current = updated.response.headers.get('etag');
    expect(current).not.toBe(etag);

    const stale = await updateIfUnchanged('Lost update');
    expect(stale.response.status).toBe(412);
    expect(stale.error).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
    expect(stale.response.headers.get('etag')).toBe(current);
    const [row] = await t.sql<{ title: string }>('SELECT title FROM tasks WHERE id = $1', [id]);
    expect(row.title).toBe('Changed while fresh');
  });

  it('refreshes the session and logs out', async () => {
    // A second login of the same user, so that ending it leaves the first one working.
    const anonymous = createClient(createConfig({ baseUrl }));
    const session = await login({
      client: anonymous,
      body: { email: state.email!, password: PASSWORD },
    });
    expect(session.response.status).toBe(200);

    const renewed = await refresh({
      client: anonymous,
      body: { refresh_token: session.data!.refresh_token },
    });
    expect(renewed.response.status).toBe(200);
    expect(renewed.data).toMatchObject({ token_type: 'Bearer', user: { id: state.userId } });
    expect(renewed.data!.refresh_token).not.toBe(session.data!.refresh_token);
    const withRenewed = createClient(
      createConfig({ baseUrl, auth: () => renewed.data!.access_token }),
    );
    expect((await getMe({ client: withRenewed })).response.status).toBe(200);

    const loggedOut = await logout({
      client: anonymous,
      body: { refresh_token: renewed.data!.refresh_token },
    });
    expect(loggedOut.response.status).toBe(204);
    const afterLogout = await refresh({
      client: anonymous,
      body: { refresh_token: renewed.data!.refresh_token },
    });
    expect(afterLogout.response.status).toBe(401);
    expect(afterLogout.error?.code).toBe('UNAUTHENTICATED');
    expect((await getMe({ client: withRenewed })).response.status).toBe(401);
    // The first login is untouched.
    expect((await getMe({ client: api() })).response.status).toBe(200);
  });

  it('makes an API token for a script, which reads with it, and revokes it', async () => {
    const made = await createApiToken({
      client: api(),
      body: { name: 'Report script', scopes: ['tasks:read'], expires_in_days: 30 },
    });
    expect(made.response.status).toBe(201);
    expect(made.data).toMatchObject({ name: 'Report script', scopes: ['tasks:read'] });
    const script = createClient(createConfig({ baseUrl, auth: () => made.data!.token }));
    const tasks = await listTasks({ client: script, path: { user_id: 'me' } });
    expect(tasks.response.status).toBe(200);
    expect(tasks.data!.length).toBeGreaterThan(0);
    const write = await createTask({
      client: script,
      path: { user_id: 'me' },
      body: { title: 'No' },
    });
    expect(write.response.status).toBe(403);
    expect(write.error).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE' });

    const listed = await listApiTokens({ client: api() });
    expect(listed.data?.map((token) => token.id)).toEqual([made.data!.id]);
    const revoked = await deleteApiToken({ client: api(), path: { id: made.data!.id } });
    expect(revoked.response.status).toBe(204);
    expect((await getMe({ client: script })).response.status).toBe(401);
  });

  it('admin: logs in as the admin, lists users, bans and unbans one, reads stats and the audit log', async () => {
    const userToken = token;
    const asUser = await listUsers({ client: api() });
    expect(asUser.response.status).toBe(403);
    expect(asUser.error?.code).toBe('FORBIDDEN');

    const admin = await login({ client: api(), body: ADMIN });
    expect(admin.data?.user.role).toBe('admin');
    token = admin.data!.access_token;

    const found = await listUsers({ client: api(), query: { q: state.email, limit: 10 } });
    expect(found.response.status).toBe(200);
    expect(found.response.headers.get('x-total-count')).toBe('1');
    expect(found.data).toEqual([
      expect.objectContaining({ id: state.userId, email: state.email, banned: false }),
    ]);

    const banned = await banUser({
      client: api(),
      path: { id: state.userId! },
      body: { reason: 'Spam' },
    });
    expect(banned.response.status).toBe(200);
    expect(banned.data).toMatchObject({ banned: true, ban_reason: 'Spam' });
    const bannedLogin = await login({
      client: api(),
      body: { email: state.email!, password: PASSWORD },
    });
    expect(bannedLogin.response.status).toBe(403);
    expect(bannedLogin.error?.code).toBe('ACCOUNT_BANNED');
    const withUserToken = createClient(createConfig({ baseUrl, auth: () => userToken }));
    expect((await getMe({ client: withUserToken })).response.status).toBe(401);

    const unbanned = await unbanUser({ client: api(), path: { id: state.userId! } });
    expect(unbanned.data).toMatchObject({ banned: false, ban_reason: null });
    const user = await getUser({ client: api(), path: { id: state.userId! } });
    // 8 from the steps before the lists one, which adds 4.
    expect(user.data).toMatchObject({ banned: false, task_count: 12 });
    const loginAgain = await login({
      client: api(),
      body: { email: state.email!, password: PASSWORD },
    });
    expect(loginAgain.response.status).toBe(200);

    const stats = await getStats({ client: api() });
    expect(stats.data).toEqual({
      users: { total: 2, admins: 1, banned: 0 },
      tasks: { total: 12, completed: 1, pending: 11, overdue: 0 },
    });

    const audit = await listAuditLog({ client: api(), query: { limit: 2 } });
    expect(audit.response.status).toBe(200);
    expect(audit.data!.map((entry) => [entry.action, entry.target_id])).toEqual([
      ['user.unbanned', state.userId],
      ['user.banned', state.userId],
    ]);
    expect(audit.data![1]).toMatchObject({ actor_id: admin.data!.user.id, target_type: 'user' });
  });
});

/**
 * Issue 15 through the generated client: a full snapshot of the change feed, a change, the delta,
 * then a trip through the trash and back.
 */
describe('Generated client: change feed and trash', () => {
  let baseUrl: string;
  let token: string;
  const api = () => createClient(createConfig({ baseUrl, auth: () => token }));
  const t = useTestApp();

  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    const registered = await register({
      client: api(),
      body: { email: uniqueEmail('sync-client'), password: 'password-123' },
    });
    token = registered.data!.access_token;
  });

  it('snapshot, change, delta, trash and restore', async () => {
    const me = { user_id: 'me' };
    const parent = (await createTask({ client: api(), path: me, body: { title: 'Parent' } })).data!;
    await createTask({ client: api(), path: me, body: { title: 'Sub', parent_id: parent.id } });
    await createTask({ client: api(), path: me, body: { title: 'Other' } });

    // The full snapshot (four objects), three a page.
    const copy = new Map<string, any>();
    const apply = (changes: { type: string; id: string; op: string; data: any }[]) => {
      for (const change of changes) {
        if (change.op === 'upsert') copy.set(`${change.type}:${change.id}`, change.data);
        else copy.delete(`${change.type}:${change.id}`);
      }
    };
    let since: string | undefined;
    let pages = 0;
    for (let more = true; more; pages++) {
      const page = await listChanges({ client: api(), path: me, query: { since, limit: 3 } });
      expect(page.response.status).toBe(200);
      apply(page.data!.changes);
      since = page.data!.next_since;
      more = page.data!.has_more;
    }
    expect(pages).toBe(2);
    expect(copy.size).toBe(4);

    /** Polls from `since`, applies the answer, and returns its changes. */
    const poll = async () => {
      const answer = await listChanges({ client: api(), path: me, query: { since } });
      expect(answer.response.status).toBe(200);
      expect(answer.data!.has_more).toBe(false);
      apply(answer.data!.changes);
      since = answer.data!.next_since;
      return answer.data!.changes as { type: string; id: string; op: string; data: any }[];
    };
    const expectCopyIsTheServer = async () => {
      const server = new Map<string, unknown>();
      const tasks = (await listTasks({ client: api(), path: me, query: { limit: 100 } })).data!;
      for (const task of tasks) server.set(`task:${task.id}`, task);
      for (const list of (await listLists({ client: api(), path: me })).data!) {
        server.set(`list:${list.id}`, list);
      }
      expect(copy).toEqual(server);
    };

    // A change, and the delta that carries it.
    await updateTask({ client: api(), path: { ...me, id: parent.id }, body: { title: 'Renamed' } });
    const delta = await poll();
    expect(delta).toEqual([
      {
        type: 'task',
        id: parent.id,
        op: 'upsert',
        data: expect.objectContaining({ title: 'Renamed' }),
      },
    ]);
    const quiet = await listChanges({ client: api(), path: me, query: { since } });
    expect(quiet.data).toEqual({ changes: [], next_since: since, has_more: false });
    await expectCopyIsTheServer();

    // To the trash (with its subtask) and back.
    expect(
      (await deleteTask({ client: api(), path: { ...me, id: parent.id } })).response.status,
    ).toBe(204);
    const trashed = await poll();
    expect(trashed.filter((change) => change.op === 'delete')).toHaveLength(2);
    const trash = await listTrash({ client: api(), path: me });
    expect(trash.response.status).toBe(200);
    expect(trash.response.headers.get('x-total-count')).toBe('2');
    expect(trash.data!.map((task: { id: string }) => task.id)).toContain(parent.id);
    expect(trash.data![0].deleted_at).toEqual(expect.any(String));
    const restored = await restoreTask({ client: api(), path: { ...me, id: parent.id } });
    expect(restored.response.status).toBe(200);
    expect(restored.data).toMatchObject({ id: parent.id, title: 'Renamed', parent_id: null });
    const back = await poll();
    expect(back.find((change) => change.id === parent.id)).toEqual({
      type: 'task',
      id: parent.id,
      op: 'upsert',
      data: restored.data,
    });
    await expectCopyIsTheServer();
    const again = await restoreTask({ client: api(), path: { ...me, id: parent.id } });
    expect(again.response.status).toBe(404);
    expect(again.error).toMatchObject({ code: 'TASK_NOT_FOUND' });

    // Deleted for good, one by id, then the rest by emptying the trash.
    const tasks = (await listTasks({ client: api(), path: me, query: { parent_id: 'none' } }))
      .data!;
    for (const task of tasks) await deleteTask({ client: api(), path: { ...me, id: task.id } });
    const forGood = await deleteTrashedTask({ client: api(), path: { ...me, id: parent.id } });
    expect(forGood.response.status).toBe(204);
    const emptied = await emptyTrash({ client: api(), path: me });
    expect(emptied.response.status).toBe(200);
    expect(emptied.data).toEqual({ deleted: 1 });
    await poll();
    await expectCopyIsTheServer();
    expect([...copy.keys()].filter((key) => key.startsWith('task:'))).toEqual([]);

    // A malformed since is a typed 400 problem.
    const bad = await listChanges({ client: api(), path: me, query: { since: 'garbage' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
