import type { Test } from 'supertest';
import { createTask, expectProblem, Registered, registerUser } from './support/builders';
import { countRows } from './support/db';
import { allPages } from './support/paging';
import {
  type Body,
  completeTask,
  completionsOf,
  DAY_MS,
  expectFieldError,
  fromNow,
  getTask,
  MISSING_ID,
  patchTask,
  putTask,
  WEEK_MS,
} from './support/task-model';
import { type TestApp, useTestApp } from './support/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The ways to complete a task: each completes one occurrence of a recurring one. */
const COMPLETE: [string, (t: TestApp, user: Registered, id: string) => Test][] = [
  ['the toggle', (t, user, id) => completeTask(t, user, id)],
  [
    '{completed: true} on the toggle',
    (t, user, id) => completeTask(t, user, id, { completed: true }),
  ],
  ['PATCH completed: true', (t, user, id) => patchTask(t, user, id, { completed: true })],
  ['PUT completed: true', (t, user, id) => putTask(t, user, id, { completed: true })],
];

/**
 * Recurring tasks over HTTP. Due dates are chosen deliberately: fixed ones years ahead (so "the
 * next occurrence after now" is simply the next one of the rule), or ones weeks in the past.
 */
describe('Recurring tasks', () => {
  const t = useTestApp();
  let user: Registered;
  beforeAll(async () => {
    user = await registerUser(t);
  });

  const recurring = (due_date: string, recurrence: string, timezone?: string) =>
    createTask(t, user, {
      title: `Every ${recurrence}`,
      due_date,
      recurrence,
      ...(timezone ? { timezone } : {}),
    });
  /**
   * Completes the task's current occurrence with `{completed: true}` on the complete route. (The
   * bodyless toggle must do the same: the COMPLETE table checks every way once.)
   */
  const complete = (id: string) => completeTask(t, user, id, { completed: true }).expect(200);
  /** The due dates the task goes through when completed `n` times, one by one. */
  async function dueDatesAfter(task: Body, n: number) {
    const dates: string[] = [];
    for (let i = 0; i < n; i++) {
      const response = await complete(task.id);
      expect(response.body.completed).toBe(false);
      dates.push(response.body.due_date);
    }
    return dates;
  }
  const completionCount = (id: string) => countRows(t, 'task_completions', 'task_id = $1', [id]);

  describe.each(COMPLETE)('completing a weekly task through %s', (_, completeVia) => {
    it('keeps it pending, records the occurrence, advances due_date, changes the ETag', async () => {
      const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY');
      const before = await getTask(t, user, task.id);
      const response = await completeVia(t, user, task.id).expect(200);
      expect(response.body).toEqual({
        ...task,
        due_date: '2030-06-10T09:00:00.000Z',
        completed: false,
        completed_at: null,
        updated_at: expect.stringMatching(ISO),
      });
      const after = await getTask(t, user, task.id);
      expect(after.body).toEqual(response.body);
      expect(after.etag).not.toBe(before.etag);
      const completions = await completionsOf(t, user, task.id);
      expect(completions).toEqual([
        {
          id: expect.any(String),
          task_id: task.id,
          due_date: '2030-06-03T09:00:00.000Z',
          completed_at: expect.stringMatching(ISO),
        },
      ]);
      expect(Math.abs(Date.parse(completions[0].completed_at) - Date.now())).toBeLessThan(60_000);
    });
  });

  it('each completion is one more occurrence, listed newest first', async () => {
    const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY;BYDAY=MO,TH');
    expect(await dueDatesAfter(task, 3)).toEqual([
      '2030-06-06T09:00:00.000Z', // Thursday
      '2030-06-10T09:00:00.000Z', // Monday
      '2030-06-13T09:00:00.000Z',
    ]);
    const completions = await completionsOf(t, user, task.id);
    expect(completions.map((completion) => completion.due_date)).toEqual([
      '2030-06-10T09:00:00.000Z',
      '2030-06-06T09:00:00.000Z',
      '2030-06-03T09:00:00.000Z',
    ]);
  });

  it('a late completion skips the missed occurrences: next due is the first after now', async () => {
    // Due three weeks and five hours ago: the occurrences 2 weeks and 1 week later are missed too.
    const due = fromNow(-(3 * WEEK_MS + 5 * 60 * 60 * 1000));
    const task = await recurring(due.toISOString(), 'FREQ=WEEKLY');
    const response = await complete(task.id);
    expect(response.body).toMatchObject({ completed: false, completed_at: null });
    expect(response.body.due_date).toBe(new Date(due.getTime() + 4 * WEEK_MS).toISOString());
    expect(Date.parse(response.body.due_date)).toBeGreaterThan(Date.now());
    // One occurrence was completed (the one that was due), not four.
    expect(
      (await completionsOf(t, user, task.id)).map((completion) => completion.due_date),
    ).toEqual([due.toISOString()]);
  });

  it('a daily task ten days late is next due tomorrow-ish, not the day after the old date', async () => {
    const due = fromNow(-(10 * DAY_MS + 60 * 60 * 1000));
    const task = await recurring(due.toISOString(), 'FREQ=DAILY');
    const response = await complete(task.id);
    expect(response.body.due_date).toBe(new Date(due.getTime() + 11 * DAY_MS).toISOString());
  });

  describe('a rule that runs out completes the task for good', () => {
    it('COUNT=2: the first completion advances, the second completes it', async () => {
      const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=DAILY;COUNT=2');
      const first = await complete(task.id);
      expect(first.body).toMatchObject({
        completed: false,
        due_date: '2030-06-04T09:00:00.000Z',
      });
      const second = await complete(task.id);
      expect(second.body).toMatchObject({
        completed: true,
        completed_at: expect.stringMatching(ISO),
        recurrence: 'FREQ=DAILY;COUNT=2',
      });
      expect((await getTask(t, user, task.id)).body).toEqual(second.body);
      const dueDates = (await completionsOf(t, user, task.id)).map((c) => c.due_date);
      expect(dueDates).toContain('2030-06-03T09:00:00.000Z');
      expect(dueDates).not.toContain('2030-06-05T09:00:00.000Z');
    });

    it('COUNT counts from the first due date, not from the last completion', async () => {
      const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY;COUNT=3');
      expect(await dueDatesAfter(task, 2)).toEqual([
        '2030-06-10T09:00:00.000Z',
        '2030-06-17T09:00:00.000Z',
      ]);
      expect((await complete(task.id)).body.completed).toBe(true);
    });

    it('UNTIL: completes for good once the next occurrence would be past it', async () => {
      const task = await recurring(
        '2030-06-03T09:00:00.000Z',
        'FREQ=WEEKLY;UNTIL=20300612T000000Z',
      );
      const first = await complete(task.id);
      expect(first.body).toMatchObject({ completed: false, due_date: '2030-06-10T09:00:00.000Z' });
      const second = await complete(task.id);
      expect(second.body).toMatchObject({
        completed: true,
        completed_at: expect.stringMatching(ISO),
      });
    });

    it('a COUNT whose every occurrence is already past completes on the first completion', async () => {
      const due = fromNow(-3 * WEEK_MS);
      const task = await recurring(due.toISOString(), 'FREQ=WEEKLY;COUNT=2');
      expect((await complete(task.id)).body).toMatchObject({ completed: true });
    });
  });

  describe('the rule is expanded in the task’s time zone', () => {
    it('WEEKLY at 09:00 Europe/Berlin stays at 09:00 across the March change (CET -> CEST)', async () => {
      // 2030-03-25 is a Monday, 09:00 CET = 08:00Z; clocks go forward on Sunday 2030-03-31;
      // the next Monday 09:00 is CEST = 07:00Z. (Checked with Intl: see the report.)
      const task = await recurring('2030-03-25T08:00:00.000Z', 'FREQ=WEEKLY', 'Europe/Berlin');
      expect(await dueDatesAfter(task, 2)).toEqual([
        '2030-04-01T07:00:00.000Z',
        '2030-04-08T07:00:00.000Z',
      ]);
    });

    it('and back across the October change (CEST -> CET)', async () => {
      const task = await recurring('2030-10-21T07:00:00.000Z', 'FREQ=WEEKLY', 'Europe/Berlin');
      expect(await dueDatesAfter(task, 1)).toEqual(['2030-10-28T08:00:00.000Z']);
    });

    it('DAILY in Europe/Berlin across the change night', async () => {
      const task = await recurring('2030-03-30T08:00:00.000Z', 'FREQ=DAILY', 'Europe/Berlin');
      expect(await dueDatesAfter(task, 2)).toEqual([
        '2030-03-31T07:00:00.000Z',
        '2030-04-01T07:00:00.000Z',
      ]);
    });

    it('the same rule in UTC keeps the UTC hour', async () => {
      const task = await recurring('2030-03-25T08:00:00.000Z', 'FREQ=WEEKLY');
      expect(await dueDatesAfter(task, 1)).toEqual(['2030-04-01T08:00:00.000Z']);
    });

    it('BYMONTHDAY=-1 from January 31 goes to February 28, then March 31', async () => {
      const task = await recurring('2031-01-31T09:00:00.000Z', 'FREQ=MONTHLY;BYMONTHDAY=-1');
      expect(await dueDatesAfter(task, 2)).toEqual([
        '2031-02-28T09:00:00.000Z',
        '2031-03-31T09:00:00.000Z',
      ]);
    });

    it('BYMONTHDAY=-1 in a leap year goes to February 29', async () => {
      const task = await recurring('2032-01-31T09:00:00.000Z', 'FREQ=MONTHLY;BYMONTHDAY=-1');
      expect(await dueDatesAfter(task, 1)).toEqual(['2032-02-29T09:00:00.000Z']);
    });
  });

  describe('GET /api/{user_id}/tasks/{id}/completions', () => {
    let task: Body;
    beforeAll(async () => {
      task = await recurring('2030-06-01T09:00:00.000Z', 'FREQ=DAILY');
      await dueDatesAfter(task, 5);
    });

    it('pages newest first with X-Total-Count and Link', async () => {
      const first = await t
        .http()
        .get(`/api/me/tasks/${task.id}/completions?limit=2`)
        .set(user.auth)
        .expect(200);
      expect(first.body).toHaveLength(2);
      expect(first.headers['x-total-count']).toBe('5');
      expect(first.headers.link).toMatch(/rel="next"/);
      const walk = await allPages(t, user.auth, `/api/me/tasks/${task.id}/completions?limit=2`);
      expect(walk.pages).toBe(3);
      expect(walk.totals).toEqual(['5']);
      expect(new Set(walk.ids).size).toBe(5);
      expect(walk.rows.map((row) => row.due_date)).toEqual([
        '2030-06-05T09:00:00.000Z',
        '2030-06-04T09:00:00.000Z',
        '2030-06-03T09:00:00.000Z',
        '2030-06-02T09:00:00.000Z',
        '2030-06-01T09:00:00.000Z',
      ]);
      for (const row of walk.rows) {
        expect(Object.keys(row).sort()).toEqual(['completed_at', 'due_date', 'id', 'task_id']);
      }
    });

    it('through the own id as well as me', async () => {
      const own = await t
        .http()
        .get(`/api/${user.id}/tasks/${task.id}/completions`)
        .set(user.auth)
        .expect(200);
      expect(own.body).toEqual(await completionsOf(t, user, task.id));
    });

    it('a task never completed as a recurring one has none', async () => {
      const plain = await createTask(t, user, { title: 'Plain' });
      await complete(plain.id);
      expect(await completionsOf(t, user, plain.id)).toEqual([]);
    });

    it('another user’s or a missing task is 404 TASK_NOT_FOUND; a malformed id 400', async () => {
      const bob = await registerUser(t);
      for (const id of [task.id, MISSING_ID]) {
        const response = await t.http().get(`/api/me/tasks/${id}/completions`).set(bob.auth);
        expectProblem(response, 404, 'TASK_NOT_FOUND');
      }
      expectFieldError(
        await t.http().get('/api/me/tasks/not-a-uuid/completions').set(user.auth),
        'id',
      );
    });

    it('a bad limit is 400', async () => {
      const response = await t
        .http()
        .get(`/api/me/tasks/${task.id}/completions?limit=0`)
        .set(user.auth);
      expectFieldError(response, 'limit');
    });
  });

  it('{completed: false} on a pending recurring task completes no occurrence', async () => {
    const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY');
    const before = await getTask(t, user, task.id);
    const response = await completeTask(t, user, task.id, { completed: false }).expect(200);
    expect(response.body).toMatchObject({ completed: false, due_date: before.body.due_date });
    expect(await completionCount(task.id)).toBe(0);
    // Like any set of `completed` to its current value, it is still a write (a new version).
    const after = await getTask(t, user, task.id);
    const { updated_at: _later, ...rest } = after.body;
    const { updated_at: _earlier, ...restBefore } = before.body;
    expect(rest).toEqual(restBefore);
  });

  it.each([
    ['the toggle', undefined],
    ['{completed: true}', { completed: true }],
  ])('%s with a stale If-Match is 412: no completion, due_date unchanged', async (_, body) => {
    const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY');
    const first = await getTask(t, user, task.id);
    await complete(task.id); // another tab completes this week's occurrence
    const current = await getTask(t, user, task.id);
    const send = (etag: string) => completeTask(t, user, task.id, body, etag);
    expectProblem(await send(first.etag), 412, 'PRECONDITION_FAILED');
    expect(await getTask(t, user, task.id)).toEqual(current);
    expect(await completionCount(task.id)).toBe(1);
    // With the current ETag it completes the next occurrence.
    const fresh = await send(current.etag).expect(200);
    expect(fresh.body).toMatchObject({ completed: false, due_date: '2030-06-17T09:00:00.000Z' });
    expect(await completionCount(task.id)).toBe(2);
  });

  it('deleting a recurring task removes its completions from view (404)', async () => {
    const task = await recurring('2030-06-03T09:00:00.000Z', 'FREQ=WEEKLY');
    await complete(task.id);
    await t.http().delete(`/api/me/tasks/${task.id}`).set(user.auth).expect(204);
    expectProblem(
      await t.http().get(`/api/me/tasks/${task.id}/completions`).set(user.auth),
      404,
      'TASK_NOT_FOUND',
    );
  });
});
