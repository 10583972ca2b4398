import {
  clearCompleted,
  createTask,
  expectProblem,
  Registered,
  registerUser,
  TASK_FIELDS,
  UUID,
  withCompletedTasks,
} from './support/builders';
import { insertTasks, taskCount } from './support/db';
import { expectEmptyList } from './support/paging';
import { completeTask, MISSING_ID, patchTask } from './support/task-model';
import { useTestApp } from './support/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('Tasks: the owner’s routes', () => {
  const t = useTestApp();

  describe('POST /api/{user_id}/tasks', () => {
    it('creates a task with every field, answers 201 with Location and ETag', async () => {
      const user = await registerUser(t);
      const before = Date.now();
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({
          title: '  Write the report ',
          description: 'Numbers from finance first',
          completed: true,
          priority: 'high',
          due_date: '2026-12-01T09:00:00+02:00',
          tags: [' Work ', 'q4', 'WORK'],
        })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID),
        user_id: user.id,
        list_id: expect.stringMatching(UUID),
        parent_id: null,
        position: expect.any(String),
        title: 'Write the report',
        description: 'Numbers from finance first',
        completed: true,
        completed_at: expect.stringMatching(ISO),
        priority: 'high',
        due_date: '2026-12-01T07:00:00.000Z',
        tags: ['work', 'q4'],
        recurrence: null,
        timezone: 'UTC',
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
      });
      expect(Date.parse(response.body.completed_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(response.headers.location).toBe(`/api/${user.id}/tasks/${response.body.id}`);
      expect(response.headers.etag).toMatch(/^"[^"]+"$/);

      const fetched = await t.http().get(response.headers.location).set(user.auth).expect(200);
      expect(fetched.body).toEqual(response.body);
      const [row] = await t.sql('SELECT * FROM tasks WHERE id = $1', [response.body.id]);
      expect(row).toMatchObject({
        user_id: user.id,
        title: 'Write the report',
        priority: 'high',
        tags: ['work', 'q4'],
        completed: true,
      });
    });

    it('fills the defaults', async () => {
      const user = await registerUser(t);
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: 'Only a title' })
        .expect(201);
      const [inbox] = await t.sql<{ id: string }>(
        'SELECT id FROM lists WHERE user_id = $1 AND is_default',
        [user.id],
      );
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID),
        user_id: user.id,
        list_id: inbox.id,
        parent_id: null,
        position: 'a0',
        title: 'Only a title',
        description: null,
        completed: false,
        completed_at: null,
        priority: 'medium',
        due_date: null,
        tags: [],
        recurrence: null,
        timezone: 'UTC',
        created_at: expect.stringMatching(ISO),
        updated_at: response.body.created_at,
      });
    });

    it('accepts explicit nulls for the nullable fields', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user, { description: null, due_date: null });
      expect(task).toMatchObject({ description: null, due_date: null });
    });

    it('reads a bare due date as midnight UTC', async () => {
      const user = await registerUser(t);
      expect((await createTask(t, user, { due_date: '2026-12-01' })).due_date).toBe(
        '2026-12-01T00:00:00.000Z',
      );
    });

    it('works through the own id as well as `me`, and the list shows the task', async () => {
      const user = await registerUser(t);
      const created = await t
        .http()
        .post(`/api/${user.id}/tasks`)
        .set(user.auth)
        .send({ title: 'By id' })
        .expect(201);
      const listed = await t.http().get(`/api/${user.id}/tasks`).set(user.auth).expect(200);
      expect(listed.body).toEqual([created.body]);
      const viaMe = await t.http().get('/api/me/tasks').set(user.auth).expect(200);
      expect(viaMe.body).toEqual([created.body]);
      await t
        .http()
        .get(`/api/${user.id.toUpperCase()}/tasks/${created.body.id}`)
        .set(user.auth)
        .expect(200);
    });
  });

  describe('the Task field rules', () => {
    let user: Registered;
    beforeAll(async () => {
      user = await registerUser(t);
    });

    it.each([
      ['a title of 1 character', { title: 'x' }, { title: 'x' }],
      ['a title of 200 characters', { title: 't'.repeat(200) }, { title: 't'.repeat(200) }],
      ['a title of 200 emoji', { title: '😀'.repeat(200) }, { title: '😀'.repeat(200) }],
      [
        'a title padded to 210 by spaces',
        { title: `${' '.repeat(5)}${'t'.repeat(200)}     ` },
        { title: 't'.repeat(200) },
      ],
      [
        'a description of 1000 characters',
        { description: 'd'.repeat(1000) },
        { description: 'd'.repeat(1000) },
      ],
      [
        'a description of 1000 emoji',
        { description: '🎉'.repeat(1000) },
        { description: '🎉'.repeat(1000) },
      ],
      ['an empty description', { description: '' }, { description: '' }],
      ['priority low', { priority: 'low' }, { priority: 'low' }],
      [
        '20 tags',
        { tags: Array.from({ length: 20 }, (_, i) => `t${i}`) },
        { tags: Array.from({ length: 20 }, (_, i) => `t${i}`) },
      ],
      ['a tag of 50 characters', { tags: ['g'.repeat(50)] }, { tags: ['g'.repeat(50)] }],
      ['an empty tag list', { tags: [] }, { tags: [] }],
      [
        '21 tags of which two are the same once lower-cased',
        { tags: [...Array.from({ length: 20 }, (_, i) => `t${i}`), 'T0'] },
        { tags: Array.from({ length: 20 }, (_, i) => `t${i}`) },
      ],
      [
        'a date-time without offset (UTC)',
        { due_date: '2026-12-01T09:30:00' },
        { due_date: '2026-12-01T09:30:00.000Z' },
      ],
      ['a leap day', { due_date: '2028-02-29' }, { due_date: '2028-02-29T00:00:00.000Z' }],
      ['year 1', { due_date: '0001-01-01' }, { due_date: '0001-01-01T00:00:00.000Z' }],
      [
        'the last instant of year 9999',
        { due_date: '9999-12-31T23:59:59.999Z' },
        { due_date: '9999-12-31T23:59:59.999Z' },
      ],
    ])('accepts %s, and stores it as answered', async (_, fields, expected) => {
      const body = { title: 'Boundary', ...fields };
      const response = await t.http().post('/api/me/tasks').set(user.auth).send(body).expect(201);
      expect(response.body).toMatchObject(expected);
      const fetched = await t.http().get(`/api/me/tasks/${response.body.id}`).set(user.auth);
      expect(fetched.body).toEqual(response.body);
    });

    const rejected: [string, Record<string, unknown>, string][] = [
      ['a missing title', { description: 'no title' }, 'title'],
      ['an empty title', { title: '' }, 'title'],
      ['a blank title', { title: '   ' }, 'title'],
      ['a title of 201 characters', { title: 't'.repeat(201) }, 'title'],
      ['a title of 201 emoji', { title: '😀'.repeat(201) }, 'title'],
      ['a numeric title', { title: 42 }, 'title'],
      ['a null title', { title: null }, 'title'],
      ['an array title', { title: ['a'] }, 'title'],
      ['an object title', { title: { text: 'a' } }, 'title'],
      ['a description of 1001 characters', { description: 'd'.repeat(1001) }, 'description'],
      ['a numeric description', { description: 5 }, 'description'],
      ['an unknown priority', { priority: 'urgent' }, 'priority'],
      ['an upper-case priority', { priority: 'HIGH' }, 'priority'],
      ['a null priority', { priority: null }, 'priority'],
      ['a numeric priority', { priority: 1 }, 'priority'],
      ['a due date in words', { due_date: 'tomorrow' }, 'due_date'],
      ['an impossible due date', { due_date: '2026-02-30' }, 'due_date'],
      ['February 29 of a common year', { due_date: '2026-02-29T10:00:00Z' }, 'due_date'],
      ['month 13', { due_date: '2026-13-01' }, 'due_date'],
      ['hour 25', { due_date: '2026-12-01T25:00:00Z' }, 'due_date'],
      ['year 0', { due_date: '0000-01-01' }, 'due_date'],
      ['a date past year 9999', { due_date: '9999-12-31T23:59:59-14:00' }, 'due_date'],
      ['a numeric due date', { due_date: 1764579600000 }, 'due_date'],
      ['a boolean due date', { due_date: true }, 'due_date'],
      ['tags as a string', { tags: 'work' }, 'tags'],
      ['21 distinct tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
      ['an empty tag', { tags: ['ok', ''] }, 'tags'],
      ['a blank tag', { tags: ['   '] }, 'tags'],
      ['a tag of 51 characters', { tags: ['g'.repeat(51)] }, 'tags'],
      ['a numeric tag', { tags: [1] }, 'tags'],
      ['a null tag', { tags: [null] }, 'tags'],
      ['null tags', { tags: null }, 'tags'],
      ['a string for completed', { completed: 'true' }, 'completed'],
      ['null for completed', { completed: null }, 'completed'],
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['an id', { id: MISSING_ID }, 'id'],
      ['a user_id', { user_id: MISSING_ID }, 'user_id'],
      ['a created_at', { created_at: '2020-01-01T00:00:00Z' }, 'created_at'],
      ['an updated_at', { updated_at: '2020-01-01T00:00:00Z' }, 'updated_at'],
      ['a completed_at', { completed_at: '2020-01-01T00:00:00Z' }, 'completed_at'],
      ['a version', { version: 7 }, 'version'],
    ];

    it.each(rejected)('POST rejects %s: 400, nothing created', async (_, fields, field) => {
      const before = await taskCount(t, user.id);
      const body = 'title' in fields || field === 'title' ? fields : { title: 'Valid', ...fields };
      const response = await t.http().post('/api/me/tasks').set(user.auth).send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
      expect(response.body.detail).toContain(field);
      expect(await taskCount(t, user.id)).toBe(before);
    });

    it('lists every offending field at once', async () => {
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: '', priority: 'urgent', id: MISSING_ID });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
        'id',
        'priority',
        'title',
      ]);
    });

    const updateRejected = rejected.filter(([name]) => name !== 'a missing title');
    describe.each(['put', 'patch'] as const)('%s', (method) => {
      let task: Record<string, any>;
      beforeAll(async () => {
        task = await createTask(t, user, {
          title: 'Untouched',
          description: 'Still here',
          priority: 'high',
          due_date: '2026-12-01',
          tags: ['keep'],
        });
      });

      it.each(updateRejected)('rejects %s: 400, task unchanged', async (_, fields, field) => {
        const response = await t
          .http()
          [method](`/api/me/tasks/${task.id}`)
          .set(user.auth)
          .send(fields);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual(
          expect.arrayContaining([{ field, message: expect.any(String) }]),
        );
        const after = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
        expect(after.body).toEqual(task);
      });
    });
  });

  describe('GET /api/{user_id}/tasks/{id}', () => {
    it('returns the task with an ETag that changes with every write', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      const first = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(first.body).toEqual(task);
      expect(first.headers.etag).toMatch(/^"[^"]+"$/);
      const again = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(again.headers.etag).toBe(first.headers.etag);
      const patched = await patchTask(t, user, task.id, { title: 'Changed' }).expect(200);
      const after = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(after.headers.etag).not.toBe(first.headers.etag);
      expect(patched.headers.etag).toBe(after.headers.etag);
    });

    it('a missing task is 404 TASK_NOT_FOUND', async () => {
      const user = await registerUser(t);
      expectProblem(
        await t.http().get(`/api/me/tasks/${MISSING_ID}`).set(user.auth),
        404,
        'TASK_NOT_FOUND',
      );
    });
  });

  describe.each(['put', 'patch'] as const)('%s /api/{user_id}/tasks/{id}', (method) => {
    let user: Registered;
    beforeAll(async () => {
      user = await registerUser(t);
    });
    const write = (id: string, body: object) =>
      t.http()[method](`/api/me/tasks/${id}`).set(user.auth).send(body);
    const full = {
      title: 'Original',
      description: 'Original description',
      priority: 'high',
      due_date: '2026-12-01T09:00:00Z',
      tags: ['a', 'b'],
    };

    it('applies the given fields and leaves the others', async () => {
      const task = await createTask(t, user, full);
      const response = await write(task.id, { title: '  Renamed ' }).expect(200);
      expect(response.body).toEqual({
        ...task,
        title: 'Renamed',
        updated_at: expect.stringMatching(ISO),
      });
      expect(Date.parse(response.body.updated_at)).toBeGreaterThan(Date.parse(task.updated_at));
      expect(response.headers.etag).toMatch(/^"[^"]+"$/);
      const fetched = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(fetched.body).toEqual(response.body);
    });

    it('changes every editable field at once', async () => {
      const task = await createTask(t, user, full);
      const response = await t
        .http()
        [method](`/api/${user.id}/tasks/${task.id}`)
        .set(user.auth)
        .send({
          title: 'New',
          description: 'New description',
          priority: 'low',
          due_date: '2027-01-15',
          tags: ['C', ' c ', 'd'],
        })
        .expect(200);
      expect(response.body).toMatchObject({
        id: task.id,
        user_id: user.id,
        title: 'New',
        description: 'New description',
        priority: 'low',
        due_date: '2027-01-15T00:00:00.000Z',
        tags: ['c', 'd'],
        created_at: task.created_at,
      });
    });

    it('clears the nullable fields with null and the tags with []', async () => {
      const task = await createTask(t, user, full);
      const response = await write(task.id, { description: null, due_date: null, tags: [] }).expect(
        200,
      );
      expect(response.body).toMatchObject({
        title: 'Original',
        description: null,
        due_date: null,
        tags: [],
        priority: 'high',
      });
    });

    it('an empty body changes nothing', async () => {
      const task = await createTask(t, user, full);
      const response = await write(task.id, {}).expect(200);
      expect(response.body).toEqual(task);
    });

    it('sets completed_at when completed becomes true, keeps it, and clears it on false', async () => {
      const task = await createTask(t, user);
      const done = await write(task.id, { completed: true }).expect(200);
      expect(done.body).toMatchObject({
        completed: true,
        completed_at: expect.stringMatching(ISO),
      });
      const again = await write(task.id, { completed: true, title: 'Still done' }).expect(200);
      expect(again.body).toMatchObject({ completed: true, completed_at: done.body.completed_at });
      const undone = await write(task.id, { completed: false }).expect(200);
      expect(undone.body).toMatchObject({ completed: false, completed_at: null });
    });

    it('a missing task is 404 TASK_NOT_FOUND', async () => {
      expectProblem(
        await t.http()[method](`/api/me/tasks/${MISSING_ID}`).set(user.auth).send({ title: 'x' }),
        404,
        'TASK_NOT_FOUND',
      );
    });
  });

  describe('PATCH /api/{user_id}/tasks/{id}/complete', () => {
    let user: Registered;
    beforeAll(async () => {
      user = await registerUser(t);
    });
    const complete = (id: string) => completeTask(t, user, id);

    it('toggles without a body', async () => {
      const task = await createTask(t, user);
      const done = await complete(task.id).expect(200);
      expect(done.body).toMatchObject({
        id: task.id,
        completed: true,
        completed_at: expect.stringMatching(ISO),
        title: task.title,
      });
      expect(done.headers.etag).toMatch(/^"[^"]+"$/);
      const undone = await complete(task.id).expect(200);
      expect(undone.body).toMatchObject({ completed: false, completed_at: null });
      const [row] = await t.sql('SELECT completed, completed_at FROM tasks WHERE id = $1', [
        task.id,
      ]);
      expect(row).toEqual({ completed: false, completed_at: null });
    });

    it('toggles with an empty JSON object or an empty JSON body', async () => {
      const task = await createTask(t, user);
      expect((await complete(task.id).send({}).expect(200)).body.completed).toBe(true);
      expect(
        (await complete(task.id).set('Content-Type', 'application/json').send('').expect(200)).body
          .completed,
      ).toBe(false);
    });

    it('sets the value given, safely retried', async () => {
      const task = await createTask(t, user);
      const first = await complete(task.id).send({ completed: true }).expect(200);
      expect(first.body).toMatchObject({
        completed: true,
        completed_at: expect.stringMatching(ISO),
      });
      const retry = await complete(task.id).send({ completed: true }).expect(200);
      expect(retry.body).toMatchObject({ completed: true, completed_at: first.body.completed_at });
      const off = await complete(task.id).send({ completed: false }).expect(200);
      expect(off.body).toMatchObject({ completed: false, completed_at: null });
      const offAgain = await complete(task.id).send({ completed: false }).expect(200);
      expect(offAgain.body).toMatchObject({ completed: false, completed_at: null });
    });

    it.each([
      [{ completed: 'yes' }, 'completed'],
      [{ completed: null }, 'completed'],
      [{ completed: 1 }, 'completed'],
      [{ title: 'sneaky' }, 'title'],
    ])('rejects %p with 400 naming %s, task unchanged', async (body, field) => {
      const task = await createTask(t, user);
      const response = await complete(task.id).send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      expect((await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth)).body).toEqual(task);
    });

    it('a missing task is 404 TASK_NOT_FOUND', async () => {
      expectProblem(await complete(MISSING_ID), 404, 'TASK_NOT_FOUND');
    });
  });

  describe('DELETE /api/{user_id}/tasks/{id}', () => {
    it('answers 204 with no body, then 404 for the task and for a second DELETE', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      const keep = await createTask(t, user);
      const response = await t.http().delete(`/api/me/tasks/${task.id}`).set(user.auth).expect(204);
      expect(response.text).toBe('');
      expectProblem(
        await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth),
        404,
        'TASK_NOT_FOUND',
      );
      expectProblem(
        await t.http().delete(`/api/me/tasks/${task.id}`).set(user.auth),
        404,
        'TASK_NOT_FOUND',
      );
      expect(await t.sql('SELECT id FROM tasks WHERE user_id = $1', [user.id])).toEqual([
        { id: keep.id },
      ]);
    });
  });

  describe('DELETE /api/{user_id}/tasks?status=completed (clear completed)', () => {
    it('deletes only the caller’s completed tasks and says how many', async () => {
      const { owner: user, other, kept, theirs } = await withCompletedTasks(t);

      const response = await clearCompleted(t, user).expect(200);
      expect(response.body).toEqual({ deleted: 2 });
      const left = await t.http().get('/api/me/tasks').set(user.auth).expect(200);
      expect(left.body.map((task: { id: string }) => task.id)).toEqual([kept.id]);
      await t.http().get(`/api/me/tasks/${theirs.id}`).set(other.auth).expect(200);

      const again = await clearCompleted(t, user, `/api/${user.id}/tasks`).expect(200);
      expect(again.body).toEqual({ deleted: 0 });
    });

    it.each([
      ['no filter', ''],
      ['status=pending', '?status=pending'],
      ['status=all', '?status=all'],
      ['status=COMPLETED', '?status=COMPLETED'],
      ['status given twice', '?status=completed&status=pending'],
      ['another filter too', '?status=completed&priority=high'],
      ['another filter alone', '?priority=high'],
    ])('any other filter (%s) is 400 and deletes nothing', async (_, query) => {
      const user = await registerUser(t);
      await createTask(t, user, { completed: true });
      await createTask(t, user);
      const response = await t.http().delete(`/api/me/tasks${query}`).set(user.auth);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(await taskCount(t, user.id)).toBe(2);
    });
  });

  describe('GET /api/{user_id}/tasks (the list)', () => {
    let user: Registered;
    let titles: string[];
    beforeAll(async () => {
      user = await registerUser(t);
      titles = ['banana', 'Apple', 'cherry', 'apricot'];
      for (const title of titles) await createTask(t, user, { title });
      await completeTask(t, user, (await listTitles(''))[0].id).expect(200); // apricot, the newest
    });

    async function listTitles(query: string) {
      const response = await t.http().get(`/api/me/tasks${query}`).set(user.auth).expect(200);
      return response.body as { id: string; title: string; completed: boolean }[];
    }
    const titlesOf = async (query: string) => (await listTitles(query)).map((task) => task.title);

    it('returns an array, newest first by default, with X-Total-Count', async () => {
      const response = await t.http().get('/api/me/tasks').set(user.auth).expect(200);
      expect(Array.isArray(response.body)).toBe(true);
      expect(response.body.map((task: { title: string }) => task.title)).toEqual([
        'apricot',
        'cherry',
        'Apple',
        'banana',
      ]);
      expect(response.headers['x-total-count']).toBe('4');
      expect(Object.keys(response.body[0]).sort()).toEqual([...TASK_FIELDS].sort());
    });

    it('order=asc is oldest first; sort=created&order=desc is the default', async () => {
      expect(await titlesOf('?order=asc')).toEqual(['banana', 'Apple', 'cherry', 'apricot']);
      expect(await titlesOf('?sort=created&order=desc')).toEqual(await titlesOf(''));
    });

    it('sort=title is case-insensitive, descending unless order=asc', async () => {
      expect(await titlesOf('?sort=title&order=asc')).toEqual([
        'Apple',
        'apricot',
        'banana',
        'cherry',
      ]);
      expect(await titlesOf('?sort=title')).toEqual(['cherry', 'banana', 'apricot', 'Apple']);
    });

    it('status filters, and X-Total-Count counts the matching tasks', async () => {
      const pending = await t.http().get('/api/me/tasks?status=pending').set(user.auth).expect(200);
      expect(pending.body.map((task: { title: string }) => task.title)).toEqual([
        'cherry',
        'Apple',
        'banana',
      ]);
      expect(pending.headers['x-total-count']).toBe('3');
      const completed = await t
        .http()
        .get('/api/me/tasks?status=completed')
        .set(user.auth)
        .expect(200);
      expect(completed.body.map((task: { title: string }) => task.title)).toEqual(['apricot']);
      expect(completed.headers['x-total-count']).toBe('1');
      expect(await titlesOf('?status=all')).toHaveLength(4);
    });

    it('limit cuts the page; X-Total-Count still counts all the matches', async () => {
      const response = await t
        .http()
        .get('/api/me/tasks?limit=2&sort=title&order=asc')
        .set(user.auth)
        .expect(200);
      expect(response.body.map((task: { title: string }) => task.title)).toEqual([
        'Apple',
        'apricot',
      ]);
      expect(response.headers['x-total-count']).toBe('4');
    });

    it('a new user’s list is empty with X-Total-Count 0', async () => {
      const fresh = await registerUser(t);
      await expectEmptyList(t, fresh.auth, '/api/me/tasks');
    });

    it('limit defaults to 50 and goes up to 100', async () => {
      const many = await registerUser(t);
      const now = Date.now();
      await insertTasks(t, many.id, 101, (i) => ({ created_at: new Date(now - i * 1000) }));
      const byDefault = await t.http().get('/api/me/tasks').set(many.auth).expect(200);
      expect(byDefault.body).toHaveLength(50);
      expect(byDefault.body[0].title).toBe('task 1');
      expect(byDefault.headers['x-total-count']).toBe('101');
      const max = await t.http().get('/api/me/tasks?limit=100').set(many.auth).expect(200);
      expect(max.body).toHaveLength(100);
      const one = await t.http().get('/api/me/tasks?limit=1').set(many.auth).expect(200);
      expect(one.body.map((task: { title: string }) => task.title)).toEqual(['task 1']);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['status=done', 'status'],
      ['status=pending&status=completed', 'status'],
      ['sort=colour', 'sort'],
      ['order=up', 'order'],
      ['order=ASC', 'order'],
    ])('?%s is 400 naming %s', async (query, field) => {
      const response = await t.http().get(`/api/me/tasks?${query}`).set(user.auth);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });
  });
});
