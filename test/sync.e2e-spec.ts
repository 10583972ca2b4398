import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { createTask, Registered, registerUser } from './support/builders';
import {
  applyChanges,
  drain,
  fetchChanges,
  type Replica,
  replicaDiff,
  restState,
  takeSnapshot,
} from './support/changes';
import { createList, defaultList, patchTask, seededRandom } from './support/task-model';
import { useTestApp } from './support/test-app';

/**
 * The sync test of issue 15: a client that keeps a copy of its data through the change feed ends
 * with exactly the server's state, whatever concurrent writers did while it polled.
 *
 * Several writers (create, update, complete, move between lists and under parents, trash,
 * restore, delete for good, clear completed, list create/rename/delete) run at once for a few
 * seconds on one user, plus one on another user (whose writes must never show). Meanwhile:
 * - reader A took its full snapshot before the writes and polls with its last next_since;
 * - reader B takes its (paged, slow) snapshot while the writers run, then polls the same way.
 * Once the writers stop, each reader drains the feed (until has_more is false and an answer has
 * no changes); then both copies must equal a fresh snapshot AND the REST routes (GET /tasks,
 * every page, and GET /lists), field for field: same ids, same updated_at, same everything.
 *
 * The writers' random choices are seeded (the same on every run); what succeeds depends on the
 * interleaving, so every outcome the contract allows for a race (a 404 for a task another writer
 * trashed, a 400 for a parent or list that went) is accepted, and anything else is a failure.
 */

const WRITE_MS = 3500;
const WRITERS = 4;
const MAX_TASKS = 60;
const MAX_LISTS = 6;

type Op =
  | 'create'
  | 'create subtask'
  | 'update'
  | 'complete'
  | 'move to list'
  | 'move under parent'
  | 'move last'
  | 'trash'
  | 'restore'
  | 'delete for good'
  | 'clear completed'
  | 'empty trash'
  | 'list create'
  | 'list rename'
  | 'list delete'
  | 'refresh';

const WEIGHTS: [Op, number][] = [
  ['create', 14],
  ['create subtask', 6],
  ['update', 14],
  ['complete', 8],
  ['move to list', 8],
  ['move under parent', 4],
  ['move last', 4],
  ['trash', 10],
  ['restore', 8],
  ['delete for good', 4],
  ['clear completed', 1],
  ['empty trash', 1],
  ['list create', 3],
  ['list rename', 2],
  ['list delete', 2],
  ['refresh', 3],
];

/** The statuses each operation may get in a race with the other writers. */
const ALLOWED: Record<Op, number[]> = {
  create: [201, 400],
  'create subtask': [201, 400],
  update: [200, 404],
  complete: [200, 404],
  'move to list': [200, 400, 404],
  'move under parent': [200, 400, 404],
  'move last': [200, 404],
  trash: [204, 404],
  restore: [200, 404],
  'delete for good': [204, 404],
  'clear completed': [200],
  'empty trash': [200],
  'list create': [201],
  'list rename': [200, 404],
  'list delete': [204, 404],
  refresh: [200],
};

/** What the writers of one user believe exists (roughly: the others change it under them). */
interface Knowledge {
  user: Registered;
  inboxId: string;
  live: string[];
  trashed: string[];
  lists: string[];
}

const remove = (array: string[], value: string) => {
  const i = array.indexOf(value);
  if (i >= 0) array.splice(i, 1);
};

interface Reader {
  name: string;
  replica: Replica;
  since?: string;
  polls: number;
  applied: number;
}

describe('Sync: a client copy kept through the change feed equals the server', () => {
  const t = useTestApp();

  it('after concurrent writers, both readers hold exactly the server’s state', async () => {
    const user = await registerUser(t);
    const bystander = await registerUser(t);
    const knowledge = new Map<Registered, Knowledge>();
    for (const who of [user, bystander]) {
      const k: Knowledge = {
        user: who,
        inboxId: (await defaultList(t, who)).id,
        live: [],
        trashed: [],
        lists: [],
      };
      for (const name of ['Work', 'Home']) k.lists.push((await createList(t, who, name)).id);
      for (let i = 0; i < 12; i++) {
        const list = i % 3 === 0 ? k.inboxId : k.lists[i % 2];
        const task = await createTask(t, who, { title: `seed ${i}`, list_id: list });
        k.live.push(task.id);
        if (i % 4 === 1) {
          k.live.push((await createTask(t, who, { title: `seed ${i}.1`, parent_id: task.id })).id);
        }
      }
      knowledge.set(who, k);
    }

    // Reader A: the full snapshot before anything else happens.
    const a: Reader = { name: 'A', replica: new Map(), polls: 0, applied: 0 };
    const snapshotA = await takeSnapshot(t, user, { limit: 7 });
    a.replica = snapshotA.replica;
    a.since = snapshotA.since;
    a.applied = snapshotA.answers.reduce((n, answer) => n + answer.changes.length, 0);
    const fromSnapshotA = a.applied;
    const b: Reader = { name: 'B', replica: new Map(), polls: 0, applied: 0 };

    let writing = true;
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    let names = 0;

    async function send(op: Op, call: () => Promise<Response>): Promise<Response> {
      const response = await call();
      const outcome = `${op} ${response.status}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (!ALLOWED[op].includes(response.status)) {
        failures.push(`${outcome}: ${JSON.stringify(response.body)}`);
      }
      return response;
    }

    async function writer(k: Knowledge, seed: number) {
      const random = seededRandom(seed);
      const pick = <T>(array: T[]): T | undefined =>
        array.length ? array[Math.floor(random() * array.length)] : undefined;
      const total = WEIGHTS.reduce((n, [, weight]) => n + weight, 0);
      const choose = (): Op => {
        let r = random() * total;
        for (const [op, weight] of WEIGHTS) if ((r -= weight) < 0) return op;
        return 'update';
      };
      const auth = k.user.auth;
      const http = () => t.http();
      while (writing) {
        let op = choose();
        if (op.startsWith('create') && k.live.length >= MAX_TASKS) op = 'trash';
        if (op === 'list create' && k.lists.length >= MAX_LISTS) op = 'list rename';
        const id = pick(k.live);
        const listId = pick([k.inboxId, ...k.lists])!;
        switch (op) {
          case 'create':
          case 'create subtask': {
            const body: Record<string, unknown> = {
              title: `w${seed}-${++names}`,
              priority: pick(['low', 'medium', 'high']),
            };
            if (op === 'create subtask' && id) body.parent_id = id;
            else body.list_id = listId;
            const response = await send(op, () =>
              http().post('/api/me/tasks').set(auth).send(body),
            );
            if (response.status === 201) k.live.push(response.body.id);
            break;
          }
          case 'update':
            if (!id) break;
            await send(op, () =>
              http()
                .patch(`/api/me/tasks/${id}`)
                .set(auth)
                .send({
                  title: `edit ${++names}`,
                  tags: random() < 0.5 ? [] : ['sync', `t${names % 5}`],
                  description: random() < 0.3 ? null : `d${names}`,
                }),
            );
            break;
          case 'complete':
            if (id) await send(op, () => http().patch(`/api/me/tasks/${id}/complete`).set(auth));
            break;
          case 'move to list':
            if (id) {
              await send(op, () =>
                http()
                  .post(`/api/me/tasks/${id}/move`)
                  .set(auth)
                  .send({ list_id: listId, parent_id: null }),
              );
            }
            break;
          case 'move under parent': {
            const parent = pick(k.live);
            if (id && parent) {
              await send(op, () =>
                http().post(`/api/me/tasks/${id}/move`).set(auth).send({ parent_id: parent }),
              );
            }
            break;
          }
          case 'move last':
            if (id)
              await send(op, () => http().post(`/api/me/tasks/${id}/move`).set(auth).send({}));
            break;
          case 'trash':
            if (!id) break;
            if (
              (await send(op, () => http().delete(`/api/me/tasks/${id}`).set(auth))).status === 204
            ) {
              remove(k.live, id);
              k.trashed.push(id);
            }
            break;
          case 'restore': {
            const trashed = pick(k.trashed);
            if (!trashed) break;
            const response = await send(op, () =>
              http().post(`/api/me/trash/${trashed}/restore`).set(auth),
            );
            remove(k.trashed, trashed);
            if (response.status === 200) k.live.push(trashed);
            break;
          }
          case 'delete for good': {
            const trashed = pick(k.trashed);
            if (!trashed) break;
            await send(op, () => http().delete(`/api/me/trash/${trashed}`).set(auth));
            remove(k.trashed, trashed);
            break;
          }
          case 'clear completed':
            await send(op, () => http().delete('/api/me/tasks?status=completed').set(auth));
            break;
          case 'empty trash':
            await send(op, () => http().delete('/api/me/trash').set(auth));
            k.trashed.length = 0;
            break;
          case 'list create': {
            const response = await send(op, () =>
              http()
                .post('/api/me/lists')
                .set(auth)
                .send({ name: `list w${seed}-${++names}` }),
            );
            if (response.status === 201) k.lists.push(response.body.id);
            break;
          }
          case 'list rename': {
            const list = pick(k.lists);
            if (list) {
              await send(op, () =>
                http()
                  .patch(`/api/me/lists/${list}`)
                  .set(auth)
                  .send({ name: `renamed ${++names}` }),
              );
            }
            break;
          }
          case 'list delete': {
            const list = pick(k.lists);
            if (!list) break;
            await send(op, () => http().delete(`/api/me/lists/${list}`).set(auth));
            remove(k.lists, list);
            break;
          }
          case 'refresh': {
            // Learn what the others did (tasks trashed with a parent or a list, restored ones).
            const live = await send(op, () => http().get('/api/me/tasks?limit=100').set(auth));
            const trash = await send(op, () => http().get('/api/me/trash?limit=100').set(auth));
            if (live.status === 200) k.live = live.body.map((task: { id: string }) => task.id);
            if (trash.status === 200) k.trashed = trash.body.map((task: { id: string }) => task.id);
            break;
          }
        }
      }
    }

    /** Polls with the reader's last next_since, applying each answer in order, until told to stop. */
    async function follow(reader: Reader, limit: number) {
      while (writing) {
        const answer = await fetchChanges(t, user, { since: reader.since, limit });
        reader.applied += applyChanges(reader.replica, answer.changes);
        reader.polls++;
        reader.since = answer.next_since;
        if (!answer.has_more) await sleep(15);
      }
    }

    async function lateReader() {
      await sleep(WRITE_MS / 4);
      const snapshot = await takeSnapshot(t, user, {
        limit: 5,
        betweenPages: () => sleep(20),
        whileWriting: true,
      });
      b.replica = snapshot.replica;
      b.since = snapshot.since;
      b.applied = snapshot.answers.reduce((n, answer) => n + answer.changes.length, 0);
      b.polls = snapshot.answers.length;
      await follow(b, 10);
    }

    /** A worker that throws stops the run and is reported, rather than left unhandled. */
    const guarded = (name: string, work: Promise<void>) =>
      work.catch((error: unknown) => {
        failures.push(`${name} threw: ${error instanceof Error ? error.message : String(error)}`);
        writing = false;
      });
    const started = Date.now();
    const work = [
      ...Array.from({ length: WRITERS }, (_, w) =>
        guarded(`writer ${w}`, writer(knowledge.get(user)!, 1500 + w)),
      ),
      guarded('bystander', writer(knowledge.get(bystander)!, 1599)),
      guarded('reader A', follow(a, 25)),
      guarded('reader B', lateReader()),
    ];
    for (const until = started + WRITE_MS; writing && Date.now() < until;) await sleep(50);
    writing = false;
    await Promise.all(work);
    const elapsed = Date.now() - started;

    expect(failures).toEqual([]);
    expect(b.since).toBeDefined();

    // The writers have stopped: each reader drains the feed to a quiet answer.
    for (const reader of [a, b]) {
      const drained = await drain(t, user, reader.since!, {
        replica: reader.replica,
        limit: 50,
        untilQuiet: true,
      });
      reader.applied += drained.changes.length;
      reader.polls += drained.answers.length;
      reader.since = drained.since;
    }

    const fresh = await takeSnapshot(t, user, { limit: 1000 });
    const rest = await restState(t, user);
    expect(replicaDiff(rest, fresh.replica)).toEqual([]);
    for (const reader of [a, b]) {
      expect({ reader: reader.name, diff: replicaDiff(fresh.replica, reader.replica) }).toEqual({
        reader: reader.name,
        diff: [],
      });
    }
    // Nothing of the other user's ever reached this user's copy.
    for (const object of fresh.replica.values()) expect(object.user_id).toBe(user.id);

    const writes = [...outcomes].filter(([outcome]) => !outcome.startsWith('refresh'));
    const total = writes.reduce((n, [, count]) => n + count, 0);
    const succeeded = writes
      .filter(([outcome]) => / 2\d\d$/.test(outcome))
      .reduce((n, [, count]) => n + count, 0);
    console.log(
      `sync: ${total} writes (${succeeded} succeeded) in ${elapsed} ms; ` +
        `reader A applied ${a.applied} changes in ${a.polls} answers, ` +
        `reader B ${b.applied} in ${b.polls}; final state ${fresh.replica.size} objects; ` +
        [...outcomes]
          .sort()
          .map(([outcome, count]) => `${outcome}: ${count}`)
          .join(', '),
    );
    // The run exercised something: many writes went through while the readers polled.
    expect(succeeded).toBeGreaterThan(50);
    expect(a.applied - fromSnapshotA).toBeGreaterThan(50);
  }, 60_000);

  /**
   * The case the feed's numbering exists for, made deterministic: a transaction that wrote first
   * but commits after a later write that a reader has already seen. A feed numbering changes
   * when they are written (a global sequence, an updated_at cursor) skips the late one for good;
   * this one numbers them at commit, under the owner's counter lock.
   */
  it('a write that commits after a later one a reader has seen is not skipped', async () => {
    const user = await registerUser(t);
    const early = await createTask(t, user, { title: 'early' });
    const other = await createTask(t, user, { title: 'other' });
    const { replica, since } = await takeSnapshot(t, user);
    const late = new Client({ connectionString: t.databaseUrl });
    await late.connect();
    try {
      await late.query('BEGIN');
      await late.query(`UPDATE tasks SET title = 'late', version = version + 1 WHERE id = $1`, [
        early.id,
      ]);
      await patchTask(t, user, other.id, { title: 'seen' }).expect(200);
      const seen = await drain(t, user, since, { replica });
      expect(seen.changes.map((change) => change.id)).toContain(other.id);
      await late.query('COMMIT');
      const after = await drain(t, user, seen.since, { replica });
      expect(after.changes.map((change) => change.id)).toContain(early.id);
    } finally {
      await late.end();
    }
    expect(replicaDiff(await restState(t, user), replica)).toEqual([]);
  });
});
