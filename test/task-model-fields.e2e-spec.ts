import {
  createTask,
  expectProblem,
  Registered,
  registerUser,
  TASK_FIELDS,
  UUID,
} from './support/builders';
import { taskCount } from './support/db';
import {
  type Body,
  createList,
  defaultList,
  expectFieldError,
  getTask,
  listTasks,
  MISSING_ID,
  moveTask,
  patchTask,
} from './support/task-model';
import { useTestApp } from './support/test-app';

/**
 * The fields the task model added (list_id, parent_id, position, recurrence, timezone): what is
 * accepted, and every refusal is a 400 naming the field that changes nothing.
 */
describe('Task model: the new fields', () => {
  const t = useTestApp();
  let alice: Registered;
  let bob: Registered;
  let inbox: Body;
  let work: Body;
  let parent: Body;
  let subtask: Body;
  let bobsList: Body;
  let bobsTask: Body;
  const DUE = '2030-06-03T09:00:00.000Z';

  beforeAll(async () => {
    alice = await registerUser(t);
    bob = await registerUser(t);
    inbox = await defaultList(t, alice);
    work = await createList(t, alice, 'Work');
    parent = await createTask(t, alice, { title: 'Parent' });
    subtask = await createTask(t, alice, { title: 'Subtask', parent_id: parent.id });
    bobsList = await createList(t, bob, 'Bob’s');
    bobsTask = await createTask(t, bob, { title: 'Bob’s task' });
  });

  describe('the Task shape', () => {
    it('POST, GET, the list and move answer exactly the contract’s keys', async () => {
      const created = await createTask(t, alice, { title: 'Shape' });
      const sub = await createTask(t, alice, { title: 'Shape sub', parent_id: created.id });
      const keys = [...TASK_FIELDS].sort();
      expect(Object.keys(created).sort()).toEqual(keys);
      expect(Object.keys(sub).sort()).toEqual(keys);
      expect(Object.keys((await getTask(t, alice, created.id)).body).sort()).toEqual(keys);
      for (const task of await listTasks(t, alice)) expect(Object.keys(task).sort()).toEqual(keys);
      const moved = await moveTask(t, alice, created.id).expect(200);
      expect(Object.keys(moved.body).sort()).toEqual(keys);
    });

    it('a new task without the new fields: default list, top-level, a position, UTC', async () => {
      const task = await createTask(t, alice, { title: 'Defaults' });
      expect(task).toMatchObject({
        list_id: inbox.id,
        parent_id: null,
        position: expect.any(String),
        recurrence: null,
        timezone: 'UTC',
      });
      expect(task.position.length).toBeGreaterThan(0);
    });

    it('every new field given is stored and answered back', async () => {
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(alice.auth)
        .send({
          title: 'Everything',
          list_id: work.id,
          due_date: DUE,
          recurrence: 'FREQ=WEEKLY;BYDAY=MO,TH',
          timezone: 'Europe/Berlin',
        })
        .expect(201);
      expect(response.body).toMatchObject({
        id: expect.stringMatching(UUID),
        list_id: work.id,
        parent_id: null,
        due_date: DUE,
        recurrence: 'FREQ=WEEKLY;BYDAY=MO,TH',
        timezone: 'Europe/Berlin',
      });
      expect((await getTask(t, alice, response.body.id)).body).toEqual(response.body);
    });
  });

  describe('accepted values', () => {
    it.each([
      ['a leading RRULE:', 'RRULE:FREQ=DAILY', 'FREQ=DAILY'],
      ['a lower-case rule (RFC 5545 names are case-insensitive)', 'freq=daily', 'FREQ=DAILY'],
      ['DAILY with INTERVAL and COUNT', 'FREQ=DAILY;INTERVAL=2;COUNT=5', null],
      ['WEEKLY with BYDAY and UNTIL', 'FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20301231T000000Z', null],
      ['MONTHLY with BYDAY and BYSETPOS', 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', null],
      ['MONTHLY with BYMONTHDAY=-1', 'FREQ=MONTHLY;BYMONTHDAY=-1', null],
      ['YEARLY with BYMONTH and BYMONTHDAY', 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15', null],
    ])('recurrence: %s', async (_, recurrence, normalised) => {
      const task = await createTask(t, alice, { due_date: DUE, recurrence });
      expect(task.recurrence).toBe(normalised ?? recurrence);
      expect(task.completed).toBe(false);
      expect(task.due_date).toBe(DUE);
    });

    it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])(
      'timezone %s',
      async (timezone) => {
        expect((await createTask(t, alice, { timezone })).timezone).toBe(timezone);
      },
    );

    it('parent_id with the parent’s own list_id is accepted', async () => {
      const task = await createTask(t, alice, { parent_id: parent.id, list_id: inbox.id });
      expect(task).toMatchObject({ parent_id: parent.id, list_id: inbox.id });
    });

    it('recurrence null on a recurring task makes it an ordinary one', async () => {
      const task = await createTask(t, alice, { due_date: DUE, recurrence: 'FREQ=DAILY' });
      const patched = await patchTask(t, alice, task.id, { recurrence: null }).expect(200);
      expect(patched.body).toMatchObject({ recurrence: null, due_date: DUE });
    });
  });

  const LONG_RULE = `FREQ=WEEKLY;BYDAY=${Array.from({ length: 170 }, () => 'MO').join(',')}`;
  const rejected: [string, () => Record<string, unknown>, string][] = [
    ['a list that does not exist', () => ({ list_id: MISSING_ID }), 'list_id'],
    ['another user’s list', () => ({ list_id: bobsList.id }), 'list_id'],
    ['a malformed list_id', () => ({ list_id: 'inbox' }), 'list_id'],
    ['a numeric list_id', () => ({ list_id: 5 }), 'list_id'],
    ['null as list_id', () => ({ list_id: null }), 'list_id'],
    ['a parent that does not exist', () => ({ parent_id: MISSING_ID }), 'parent_id'],
    ['another user’s task as parent', () => ({ parent_id: bobsTask.id }), 'parent_id'],
    ['a malformed parent_id', () => ({ parent_id: 'parent' }), 'parent_id'],
    ['a subtask as parent (two levels)', () => ({ parent_id: subtask.id }), 'parent_id'],
    [
      'a parent in another list than list_id',
      () => ({ parent_id: parent.id, list_id: work.id }),
      'list_id',
    ],
    ['a recurrence without due_date', () => ({ recurrence: 'FREQ=DAILY' }), 'recurrence'],
    [
      'a recurrence with due_date null',
      () => ({ recurrence: 'FREQ=DAILY', due_date: null }),
      'recurrence',
    ],
    ['a rule that is not one', () => ({ recurrence: 'every monday', due_date: DUE }), 'recurrence'],
    ['an unknown FREQ', () => ({ recurrence: 'FREQ=SOMETIMES', due_date: DUE }), 'recurrence'],
    ['FREQ=HOURLY', () => ({ recurrence: 'FREQ=HOURLY', due_date: DUE }), 'recurrence'],
    ['FREQ=MINUTELY', () => ({ recurrence: 'FREQ=MINUTELY', due_date: DUE }), 'recurrence'],
    ['FREQ=SECONDLY', () => ({ recurrence: 'FREQ=SECONDLY', due_date: DUE }), 'recurrence'],
    ['a rule without FREQ', () => ({ recurrence: 'INTERVAL=2', due_date: DUE }), 'recurrence'],
    [
      'BYHOUR (outside the subset)',
      () => ({ recurrence: 'FREQ=DAILY;BYHOUR=9', due_date: DUE }),
      'recurrence',
    ],
    ['a bad BYDAY', () => ({ recurrence: 'FREQ=WEEKLY;BYDAY=XX', due_date: DUE }), 'recurrence'],
    ['INTERVAL=0', () => ({ recurrence: 'FREQ=DAILY;INTERVAL=0', due_date: DUE }), 'recurrence'],
    [
      'both COUNT and UNTIL (RFC 5545 forbids it)',
      () => ({ recurrence: 'FREQ=DAILY;COUNT=2;UNTIL=20301231T000000Z', due_date: DUE }),
      'recurrence',
    ],
    ['a rule over 500 characters', () => ({ recurrence: LONG_RULE, due_date: DUE }), 'recurrence'],
    ['a numeric recurrence', () => ({ recurrence: 7, due_date: DUE }), 'recurrence'],
    ['an unknown time zone', () => ({ timezone: 'Mars/Olympus_Mons' }), 'timezone'],
    ['a misspelt time zone', () => ({ timezone: 'Europe/Berlinn' }), 'timezone'],
    ['an empty time zone', () => ({ timezone: '' }), 'timezone'],
    ['an offset instead of a zone', () => ({ timezone: '+02:00' }), 'timezone'],
    ['a numeric time zone', () => ({ timezone: 2 }), 'timezone'],
    ['a position', () => ({ position: 'a0' }), 'position'],
    ['a null position', () => ({ position: null }), 'position'],
  ];

  it('the long rule really is over 500 characters', () => {
    expect(LONG_RULE.length).toBeGreaterThan(500);
  });

  it.each(rejected)(
    'POST rejects %s: 400 on that field, nothing created',
    async (_, fields, field) => {
      const before = await taskCount(t, alice.id);
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(alice.auth)
        .send({ title: 'Refused', ...fields() });
      expectFieldError(response, field);
      expect(await taskCount(t, alice.id)).toBe(before);
    },
  );

  describe.each(['put', 'patch'] as const)('%s', (method) => {
    let plain: Body;
    let recurring: Body;
    let otherTopLevel: Body;
    beforeAll(async () => {
      plain = await createTask(t, alice, { title: `Plain ${method}` });
      recurring = await createTask(t, alice, {
        title: `Recurring ${method}`,
        due_date: DUE,
        recurrence: 'FREQ=WEEKLY',
      });
      otherTopLevel = await createTask(t, alice, { title: `Other ${method}` });
    });

    /** Sends `body` to `task` and expects a 400 on `field` with the task unchanged. */
    async function refused(task: Body, body: Record<string, unknown>, field: string) {
      const before = await getTask(t, alice, task.id);
      const response = await t
        .http()
        [method](`/api/me/tasks/${task.id}`)
        .set(alice.auth)
        .send(body);
      expectFieldError(response, field);
      const after = await getTask(t, alice, task.id);
      expect(after.body).toEqual(before.body);
      expect(after.etag).toBe(before.etag);
    }

    it.each(rejected)('rejects %s', async (_, fields, field) => {
      await refused(plain, fields(), field);
    });

    it('a task made its own parent: 400 on parent_id', async () => {
      await refused(plain, { parent_id: plain.id }, 'parent_id');
    });

    it('a task made a child of its own subtask (a cycle): 400 on parent_id', async () => {
      await refused(parent, { parent_id: subtask.id }, 'parent_id');
    });

    it('a task with subtasks made a subtask (two levels): 400 on parent_id', async () => {
      await refused(parent, { parent_id: otherTopLevel.id }, 'parent_id');
    });

    it('a subtask made a child of another subtask: 400 on parent_id', async () => {
      const sibling = await createTask(t, alice, { title: 'Sibling', parent_id: parent.id });
      await refused(sibling, { parent_id: subtask.id }, 'parent_id');
    });

    it('due_date null on a recurring task: 400 on recurrence', async () => {
      await refused(recurring, { due_date: null }, 'recurrence');
    });

    it('the new fields change as given and nothing else does', async () => {
      const task = await createTask(t, alice, { title: `Editable ${method}`, tags: ['keep'] });
      const response = await t
        .http()
        [method](`/api/me/tasks/${task.id}`)
        .set(alice.auth)
        .send({ due_date: DUE, recurrence: 'RRULE:FREQ=MONTHLY', timezone: 'Europe/Berlin' })
        .expect(200);
      expect(response.body).toEqual({
        ...task,
        due_date: DUE,
        recurrence: 'FREQ=MONTHLY',
        timezone: 'Europe/Berlin',
        updated_at: expect.any(String),
      });
    });
  });

  describe('move: the same refusals, nothing moved', () => {
    /** Moves `task` with `body`, expects a 400 on `field` and the task exactly as before. */
    async function refused(task: Body, body: Record<string, unknown>, field: string) {
      const before = await getTask(t, alice, task.id);
      expectFieldError(await moveTask(t, alice, task.id, body), field);
      const after = await getTask(t, alice, task.id);
      expect(after.body).toEqual(before.body);
      expect(after.etag).toBe(before.etag);
    }

    it.each([
      ['a list that does not exist', () => ({ list_id: MISSING_ID }), 'list_id'],
      ['another user’s list', () => ({ list_id: bobsList.id }), 'list_id'],
      ['a malformed list_id', () => ({ list_id: 'x' }), 'list_id'],
      ['a parent that does not exist', () => ({ parent_id: MISSING_ID }), 'parent_id'],
      ['another user’s task as parent', () => ({ parent_id: bobsTask.id }), 'parent_id'],
      ['a subtask as parent', () => ({ parent_id: subtask.id }), 'parent_id'],
      ['a position', () => ({ position: 'a0' }), 'position'],
      ['an unknown field', () => ({ title: 'x' }), 'title'],
    ])('%s', async (_, body, field) => {
      const task = await createTask(t, alice, { title: 'Unmoved' });
      await refused(task, body(), field);
    });

    it('a task under itself: 400 on parent_id', async () => {
      const task = await createTask(t, alice, { title: 'Self' });
      await refused(task, { parent_id: task.id }, 'parent_id');
    });

    it('a task under its own subtask: 400 on parent_id', async () => {
      await refused(parent, { parent_id: subtask.id }, 'parent_id');
    });

    it('a task with subtasks under another task: 400 on parent_id', async () => {
      const other = await createTask(t, alice, { title: 'Other' });
      await refused(parent, { parent_id: other.id }, 'parent_id');
    });

    it('a missing or malformed task id: 404 / 400', async () => {
      expectProblem(await moveTask(t, alice, MISSING_ID), 404, 'TASK_NOT_FOUND');
      expectFieldError(await moveTask(t, alice, 'not-a-uuid'), 'id');
    });
  });

  describe('list query parameters', () => {
    it.each([
      ['list_id', 'not-a-uuid'],
      ['parent_id', 'not-a-uuid'],
      ['parent_id', 'null'],
      ['sort', 'manual'],
    ])('%s=%s is 400 naming it', async (name, value) => {
      const response = await t.http().get(`/api/me/tasks?${name}=${value}`).set(alice.auth);
      expectFieldError(response, name);
    });

    it('list_id of another user’s or a missing list matches nothing of Alice’s', async () => {
      for (const id of [bobsList.id, MISSING_ID]) {
        const response = await t.http().get(`/api/me/tasks?list_id=${id}`).set(alice.auth);
        // Either nothing (200 []) or a refusal: never Bob's tasks, never a 5xx.
        expect([200, 400, 404]).toContain(response.status);
        if (response.status === 200) expect(response.body).toEqual([]);
      }
    });
  });
});
