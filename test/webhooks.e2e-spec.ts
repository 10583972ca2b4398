import { setTimeout as sleep } from 'node:timers/promises';
import { registerAdmin } from './support/admin';
import { expectProblem, Registered, registerUser, UUID } from './support/builders';
import { CapturedLog } from './support/captured-log';
import { describeIsolation, type NamedRoute } from './support/isolation';
import { allPages, cursorOf, expectEmptyList, tamperedMac } from './support/paging';
import { type Body, expectFieldError, MISSING_ID } from './support/task-model';
import { useTestApp } from './support/test-app';
import { runJob } from './support/jobs';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver';
import {
  createWebhook,
  deleteWebhook,
  deliveriesOf,
  expectDeliveredAtOnce,
  EVENT_TYPES,
  expectDeliveryShape,
  expectSignedDelivery,
  getWebhook,
  ISO_TIME,
  listWebhooks,
  patchWebhook,
  postWebhook,
  SECRET,
  testWebhook,
  waitForDelivery,
  WEBHOOK_FIELDS,
} from './support/webhooks';

jest.setTimeout(30_000);

/**
 * Issue 16's webhook routes: create (the secret once), list, get, patch, delete, test, deliveries;
 * validation, the 20-per-user limit, isolation, and the target rules (private addresses,
 * production's https) at create and at update. Public targets are IP literals: no DNS needed.
 */

/** A public address (no DNS needed): accepted as a target wherever private ones are refused. */
const PUBLIC_URL = 'https://1.1.1.1/hooks/tasks';

/** Targets that are, or resolve to, loopback, private, link-local, multicast or unspecified. */
const PRIVATE_URLS = [
  'http://127.0.0.1:8080/hook',
  'http://localhost:8080/hook',
  'https://localhost/hook',
  'http://[::1]:8080/hook',
  'http://127.1:8080/hook',
  'http://2130706433:8080/hook',
  'http://[::ffff:127.0.0.1]:8080/hook',
  'http://0.0.0.0:8080/hook',
  'http://10.1.2.3/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.10/hook',
  'http://169.254.169.254/latest/meta-data',
  'http://[fd00::1]/hook',
  'http://[fe80::1]/hook',
  'http://224.0.0.1/hook',
];

/** The keys of a Webhook as the routes answer it (never a secret). */
const expectWebhookShape = (webhook: Body) =>
  expect(Object.keys(webhook).sort()).toEqual([...WEBHOOK_FIELDS].sort());

const sorted = (values: string[]) => [...values].sort();

describe('Webhook routes: /api/{user_id}/webhooks', () => {
  const log = new CapturedLog();
  // A loopback receiver stands in for the integrator (the test route really delivers).
  const t = useTestApp(
    { WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'info' },
    { logDestination: log },
  );
  let receiver: WebhookReceiver;
  let admin: Registered;
  /** Every secret an answer showed in this file: none may ever be logged. */
  const secrets: string[] = [];
  beforeAll(async () => {
    receiver = await startReceiver();
    admin = await registerAdmin(t);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  const hookUrl = (name: string) => receiver.urlFor(`/hooks/${name}`);
  const create = async (
    user: Registered,
    body: { url?: string; events?: string[]; description?: string | null } = {},
  ) => {
    const webhook = await createWebhook(t, user, {
      url: hookUrl('default'),
      events: ['*'],
      ...body,
    });
    secrets.push(webhook.secret);
    return webhook;
  };

  describe('POST: create', () => {
    it('201: the Webhook with its secret (whsec_ + base64 of 32 bytes), active, as given', async () => {
      const user = await registerUser(t);
      const before = Date.now();
      const response = await postWebhook(t, user, {
        url: hookUrl('ci-bot'),
        events: ['task.created', 'task.completed'],
        description: 'CI bot',
      });
      expect(response.status).toBe(201);
      const webhook = response.body as Body;
      secrets.push(webhook.secret);
      expect(Object.keys(webhook).sort()).toEqual([...WEBHOOK_FIELDS, 'secret'].sort());
      expect(webhook).toMatchObject({
        url: hookUrl('ci-bot'),
        description: 'CI bot',
        active: true,
      });
      expect(webhook.id).toMatch(UUID);
      expect(sorted(webhook.events)).toEqual(['task.completed', 'task.created']);
      expect(webhook.secret).toMatch(SECRET);
      const key = Buffer.from(webhook.secret.slice('whsec_'.length), 'base64');
      expect(key).toHaveLength(32);
      for (const field of ['created_at', 'updated_at']) {
        expect(webhook[field]).toMatch(ISO_TIME);
        expect(new Date(webhook[field]).getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(new Date(webhook[field]).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      }
      // The contract names no Location for webhooks; when one is sent, it names this webhook.
      if (response.headers.location !== undefined) {
        expect(response.headers.location).toMatch(new RegExp(`/webhooks/${webhook.id}$`));
      }
    });

    it('the secret is shown only once: GET, the list and PATCH never carry it', async () => {
      const user = await registerUser(t);
      const { secret, ...webhook } = await create(user, { description: 'once' });
      const got = await t.http().get(`/api/me/webhooks/${webhook.id}`).set(user.auth).expect(200);
      expectWebhookShape(got.body);
      expect(got.body).toEqual(webhook);
      const list = await t.http().get('/api/me/webhooks').set(user.auth).expect(200);
      expect(list.body).toEqual([webhook]);
      const patched = await patchWebhook(t, user, webhook.id, { description: 'twice' }).expect(200);
      expectWebhookShape(patched.body);
      const key = secret.slice('whsec_'.length);
      for (const response of [got, list, patched]) {
        expect(response.text).not.toContain(key);
        expect(response.text).not.toContain('secret');
      }
    });

    it('each webhook gets a secret of its own', async () => {
      const user = await registerUser(t);
      const a = await create(user);
      const b = await create(user);
      const other = await create(await registerUser(t));
      expect(new Set([a.secret, b.secret, other.secret]).size).toBe(3);
    });

    it('description is optional (null); every event name is accepted, alone or together; ["*"] too', async () => {
      const user = await registerUser(t);
      const bare = await create(user, { events: ['*'] });
      expect(bare.description).toBeNull();
      expect(bare.events).toEqual(['*']);
      for (const type of EVENT_TYPES) {
        expect((await create(user, { events: [type] })).events).toEqual([type]);
      }
      const every = await create(user, { events: [...EVENT_TYPES] });
      expect(sorted(every.events)).toEqual(sorted([...EVENT_TYPES]));
    });

    it('an https target and a public http one are accepted (NODE_ENV test)', async () => {
      const user = await registerUser(t);
      expect((await create(user, { url: PUBLIC_URL })).url).toBe(PUBLIC_URL);
      expect((await create(user, { url: 'http://1.1.1.1/hook' })).url).toBe('http://1.1.1.1/hook');
    });

    describe('400 VALIDATION_FAILED naming the field; nothing created', () => {
      let user: Registered;
      beforeAll(async () => {
        user = await registerUser(t);
      });
      const good = () => ({ url: hookUrl('validation'), events: ['task.created'] });

      it.each<[string, () => Record<string, unknown>, string]>([
        ['no url', () => ({ events: ['*'] }), 'url'],
        ['an empty url', () => ({ ...good(), url: '' }), 'url'],
        ['a url that is not a string', () => ({ ...good(), url: 42 }), 'url'],
        ['a url that is not a URL', () => ({ ...good(), url: 'not a url' }), 'url'],
        ['a relative url', () => ({ ...good(), url: '/hooks/relative' }), 'url'],
        ['a scheme-relative url', () => ({ ...good(), url: '//127.0.0.1/hook' }), 'url'],
        ['an ftp url', () => ({ ...good(), url: 'ftp://127.0.0.1/hook' }), 'url'],
        ['a file url', () => ({ ...good(), url: 'file:///etc/passwd' }), 'url'],
        ['a javascript url', () => ({ ...good(), url: 'javascript:alert(1)' }), 'url'],
        ['a ws url', () => ({ ...good(), url: 'ws://127.0.0.1:8080/hook' }), 'url'],
        [
          'a user and password in the url',
          () => ({ ...good(), url: 'http://user:pass@127.0.0.1:8080/hook' }),
          'url',
        ],
        ['a user in the url', () => ({ ...good(), url: 'https://user@1.1.1.1/hook' }), 'url'],
        ['a password in the url', () => ({ ...good(), url: 'https://:pass@1.1.1.1/hook' }), 'url'],
        ['no events', () => ({ url: hookUrl('x') }), 'events'],
        ['empty events', () => ({ ...good(), events: [] }), 'events'],
        ['events that are a string', () => ({ ...good(), events: 'task.created' }), 'events'],
        ['an unknown event', () => ({ ...good(), events: ['task.exploded'] }), 'events'],
        [
          'an unknown event among known ones',
          () => ({ ...good(), events: ['task.created', 'task.exploded'] }),
          'events',
        ],
        ['an event that is not a string', () => ({ ...good(), events: [42] }), 'events'],
        ['an empty event name', () => ({ ...good(), events: [''] }), 'events'],
        ['an event name in capitals', () => ({ ...good(), events: ['TASK.CREATED'] }), 'events'],
        ['a wildcard of a family', () => ({ ...good(), events: ['task.*'] }), 'events'],
        ['* with other events', () => ({ ...good(), events: ['*', 'task.created'] }), 'events'],
        [
          'webhook.test (sent by the test route, not subscribed to)',
          () => ({ ...good(), events: ['webhook.test'] }),
          'events',
        ],
        [
          'a description that is not a string',
          () => ({ ...good(), description: 42 }),
          'description',
        ],
        [
          'a secret of its own',
          () => ({ ...good(), secret: 'whsec_' + 'A'.repeat(43) + '=' }),
          'secret',
        ],
        ['an id', () => ({ ...good(), id: MISSING_ID }), 'id'],
        ['a user_id', () => ({ ...good(), user_id: MISSING_ID }), 'user_id'],
        [
          'a created_at',
          () => ({ ...good(), created_at: '2030-01-01T00:00:00.000Z' }),
          'created_at',
        ],
        ['an unknown field', () => ({ ...good(), colour: 'red' }), 'colour'],
      ])('%s: 400 on that field', async (_, body, field) => {
        const response = await postWebhook(t, user, body());
        expectFieldError(response, field);
        expect(await listWebhooks(t, user)).toEqual([]);
      });

      it('a bad url and bad events: both named', async () => {
        const response = await postWebhook(t, user, { url: 'ftp://x/y', events: [] });
        expectProblem(response, 400, 'VALIDATION_FAILED');
        const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
        expect(sorted(fields)).toEqual(['events', 'url']);
        expect(await listWebhooks(t, user)).toEqual([]);
      });
    });

    it('at most 20 per user: the 21st is 409 LIMIT_REACHED; after a delete there is room again; others unaffected', async () => {
      const user = await registerUser(t);
      const made: Body[] = [];
      for (let i = 0; i < 20; i++) made.push(await create(user, { description: `hook ${i}` }));
      // An inactive webhook counts too.
      await patchWebhook(t, user, made[0].id, { active: false }).expect(200);
      const refused = await postWebhook(t, user, { url: hookUrl('21st'), events: ['*'] });
      expectProblem(refused, 409, 'LIMIT_REACHED');
      expect(await listWebhooks(t, user)).toHaveLength(20);
      await create(await registerUser(t));
      await deleteWebhook(t, user, made[5].id).expect(204);
      await create(user, { description: 'the 20th again' });
      expectProblem(
        await postWebhook(t, user, { url: hookUrl('21st'), events: ['*'] }),
        409,
        'LIMIT_REACHED',
      );
      expect(await listWebhooks(t, user)).toHaveLength(20);
    });
  });

  describe('GET: list and one', () => {
    it('a new account has none', async () => {
      const user = await registerUser(t);
      expect(await listWebhooks(t, user)).toEqual([]);
    });

    it('lists every webhook of the user (and only theirs), each without its secret', async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const made = [
        await create(user, { events: ['task.created'], description: 'one' }),
        await create(user, { events: ['*'], description: 'two' }),
        await create(user, { events: ['list.deleted', 'task.deleted'] }),
      ];
      await create(other);
      const list = await listWebhooks(t, user);
      expect(list).toHaveLength(3);
      for (const webhook of list) expectWebhookShape(webhook);
      const withoutSecret = made.map(({ secret: _, ...webhook }) => webhook);
      const byId = (a: Body, b: Body) => (a.id < b.id ? -1 : 1);
      expect([...list].sort(byId)).toEqual([...withoutSecret].sort(byId));
      // Through the literal user id as through `me`.
      const own = await t.http().get(`/api/${user.id}/webhooks`).set(user.auth).expect(200);
      expect([...own.body].sort(byId)).toEqual([...list].sort(byId));
    });

    it('GET of one through the user id as through me; a missing one is 404 WEBHOOK_NOT_FOUND', async () => {
      const user = await registerUser(t);
      const { secret: _, ...webhook } = await create(user);
      const own = await t.http().get(`/api/${user.id}/webhooks/${webhook.id}`).set(user.auth);
      expect(own.status).toBe(200);
      expect(own.body).toEqual(webhook);
      expectProblem(
        await t.http().get(`/api/me/webhooks/${MISSING_ID}`).set(user.auth),
        404,
        'WEBHOOK_NOT_FOUND',
      );
    });
  });

  describe('PATCH', () => {
    it('changes url, events, description and active; answers the Webhook (no secret); GET agrees', async () => {
      const user = await registerUser(t);
      const webhook = await create(user, { events: ['task.created'], description: 'before' });
      await sleep(5);
      const response = await patchWebhook(t, user, webhook.id, {
        url: hookUrl('moved'),
        events: ['list.created', 'task.deleted'],
        description: 'after',
        active: false,
      }).expect(200);
      expectWebhookShape(response.body);
      expect(response.body).toMatchObject({
        id: webhook.id,
        url: hookUrl('moved'),
        description: 'after',
        active: false,
        created_at: webhook.created_at,
      });
      expect(sorted(response.body.events)).toEqual(['list.created', 'task.deleted']);
      expect(new Date(response.body.updated_at).getTime()).toBeGreaterThan(
        new Date(webhook.updated_at).getTime(),
      );
      expect(await getWebhook(t, user, webhook.id)).toEqual(response.body);
    });

    it('a partial PATCH leaves the other fields; description null clears it; active true revives', async () => {
      const user = await registerUser(t);
      const webhook = await create(user, { events: ['task.updated'], description: 'kept' });
      const off = await patchWebhook(t, user, webhook.id, { active: false }).expect(200);
      expect(off.body).toMatchObject({
        url: webhook.url,
        events: ['task.updated'],
        description: 'kept',
        active: false,
      });
      const on = await patchWebhook(t, user, webhook.id, { active: true }).expect(200);
      expect(on.body.active).toBe(true);
      const cleared = await patchWebhook(t, user, webhook.id, { description: null }).expect(200);
      expect(cleared.body).toMatchObject({ description: null, active: true, url: webhook.url });
      const all = await patchWebhook(t, user, webhook.id, { events: ['*'] }).expect(200);
      expect(all.body.events).toEqual(['*']);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a url with another scheme', { url: 'ftp://127.0.0.1/hook' }, 'url'],
      ['a url with credentials', { url: 'https://user:pass@1.1.1.1/hook' }, 'url'],
      ['an empty url', { url: '' }, 'url'],
      ['a null url', { url: null }, 'url'],
      ['empty events', { events: [] }, 'events'],
      ['an unknown event', { events: ['task.exploded'] }, 'events'],
      ['* with another event', { events: ['*', 'list.created'] }, 'events'],
      ['null events', { events: null }, 'events'],
      ['active that is not a boolean', { active: 'yes' }, 'active'],
      ['a secret', { secret: 'whsec_' + 'A'.repeat(43) + '=' }, 'secret'],
      ['an id', { id: MISSING_ID }, 'id'],
      ['an unknown field', { colour: 'red' }, 'colour'],
    ])('%s: 400 on that field, nothing changed', async (_, body, field) => {
      const user = await registerUser(t);
      const { secret: _secret, ...webhook } = await create(user, { events: ['task.created'] });
      expectFieldError(await patchWebhook(t, user, webhook.id, body), field);
      expect(await getWebhook(t, user, webhook.id)).toEqual(webhook);
    });

    it('a missing webhook: 404 WEBHOOK_NOT_FOUND', async () => {
      const user = await registerUser(t);
      expectProblem(
        await patchWebhook(t, user, MISSING_ID, { description: 'x' }),
        404,
        'WEBHOOK_NOT_FOUND',
      );
    });
  });

  describe('DELETE', () => {
    it('204 with no body; then every route of it is 404 WEBHOOK_NOT_FOUND; the others stay', async () => {
      const user = await registerUser(t);
      const doomed = await create(user, { description: 'doomed' });
      const { secret: _, ...kept } = await create(user, { description: 'kept' });
      const response = await deleteWebhook(t, user, doomed.id).expect(204);
      expect(response.text).toBe('');
      for (const call of [
        () => t.http().get(`/api/me/webhooks/${doomed.id}`),
        () => t.http().patch(`/api/me/webhooks/${doomed.id}`).send({ description: 'x' }),
        () => t.http().delete(`/api/me/webhooks/${doomed.id}`),
        () => t.http().post(`/api/me/webhooks/${doomed.id}/test`),
        () => t.http().get(`/api/me/webhooks/${doomed.id}/deliveries`),
      ]) {
        expectProblem(await call().set(user.auth), 404, 'WEBHOOK_NOT_FOUND');
      }
      expect(await listWebhooks(t, user)).toEqual([kept]);
    });
  });

  describe('POST /{id}/test and GET /{id}/deliveries', () => {
    it('test: 202, and a signed webhook.test event reaches the target, recorded as a delivery', async () => {
      const user = await registerUser(t);
      const webhook = await create(user, { url: hookUrl('tested'), events: ['task.created'] });
      const before = receiver.requests.length;
      const response = await testWebhook(t, user, webhook.id);
      expect(response.status).toBe(202);
      const [request] = (await receiver.waitFor(before + 1)).slice(before);
      expect(request.path).toBe('/hooks/tested');
      const payload = expectSignedDelivery(request, webhook.secret);
      expect(payload.type).toBe('webhook.test');
      const delivery = await waitForDelivery(
        t,
        user,
        webhook.id,
        (one) => one.status === 'succeeded',
        10_000,
      );
      expectDeliveredAtOnce(delivery);
      expect(delivery).toMatchObject({
        event_id: request.headers['webhook-id'],
        type: 'webhook.test',
      });
      expect(new Date(delivery.delivered_at).getTime()).toBeGreaterThanOrEqual(
        request.arrivedAt - 1000,
      );
    });

    it('a new webhook has no deliveries: [], X-Total-Count 0', async () => {
      const user = await registerUser(t);
      const webhook = await create(user);
      await expectEmptyList(t, user.auth, `/api/me/webhooks/${webhook.id}/deliveries`);
    });

    it('webhook-deliveries.purge deletes finished deliveries older than 30 days; pending ones and newer ones stay', async () => {
      const user = await registerUser(t);
      const webhook = await create(user);
      const deliveries = [
        ['succeeded', '31 days', true],
        ['failed', '31 days', true],
        ['pending', '31 days', false],
        ['succeeded', '29 days', false],
        ['failed', '1 hour', false],
      ] as const;
      const made = [];
      for (const [status, age] of deliveries) {
        // A pending one waits for a retry a day away: no worker takes it during the test.
        const [row] = await t.sql<{ id: string }>(
          `INSERT INTO webhook_deliveries (webhook_id, user_id, event_id, type, payload, status,
                                           attempts, created_at, next_attempt_at)
           VALUES ($1, $2, gen_random_uuid(), 'webhook.test', '{}', $3, 1, now() - $4::interval,
                   CASE WHEN $3 = 'pending' THEN now() + interval '1 day' END)
           RETURNING id`,
          [webhook.id, user.id, status, age],
        );
        made.push(row.id);
      }
      await runJob(t, 'webhook-deliveries.purge');
      const kept = (await deliveriesOf(t, user, webhook.id)).map((delivery) => delivery.id);
      expect(sorted(kept)).toEqual(sorted(made.filter((_, i) => !deliveries[i][2])));
    });

    describe('paging', () => {
      let user: Registered;
      let webhook: Body;
      /** The event ids, in the order the tests were asked for. */
      const sent: string[] = [];
      beforeAll(async () => {
        user = await registerUser(t);
        webhook = await create(user, { url: hookUrl('paged'), events: ['list.created'] });
        for (let i = 0; i < 5; i++) {
          const before = receiver.requests.length;
          await testWebhook(t, user, webhook.id).expect(202);
          const [request] = (await receiver.waitFor(before + 1)).slice(before);
          sent.push(request.headers['webhook-id']);
        }
        const deadline = Date.now() + 10_000;
        const succeeded = async () =>
          (await deliveriesOf(t, user, webhook.id)).filter((one) => one.status === 'succeeded');
        while ((await succeeded()).length < 5) {
          if (Date.now() > deadline) throw new Error('the five test deliveries did not succeed');
          await sleep(100);
        }
      });

      it('newest first, X-Total-Count, Link: each delivery once', async () => {
        const walk = await allPages(
          t,
          user.auth,
          `/api/me/webhooks/${webhook.id}/deliveries?limit=2`,
        );
        expect(walk.pages).toBe(3);
        expect(walk.totals).toEqual(['5']);
        expect(new Set(walk.ids).size).toBe(5);
        for (const delivery of walk.rows) {
          expectDeliveryShape(delivery);
          expect(delivery).toMatchObject({
            type: 'webhook.test',
            status: 'succeeded',
            attempts: 1,
          });
        }
        expect(walk.rows.map((delivery) => delivery.event_id)).toEqual([...sent].reverse());
        const times = walk.rows.map((delivery) => new Date(delivery.created_at).getTime());
        expect([...times].sort((a, b) => b - a)).toEqual(times);
      });

      it.each(['0', '101', 'abc', '-1'])('limit=%s is 400 naming limit', async (limit) => {
        const response = await t
          .http()
          .get(`/api/me/webhooks/${webhook.id}/deliveries?limit=${limit}`)
          .set(user.auth);
        expectFieldError(response, 'limit');
      });

      it('a tampered cursor is 400 naming cursor', async () => {
        const first = await t
          .http()
          .get(`/api/me/webhooks/${webhook.id}/deliveries?limit=1`)
          .set(user.auth)
          .expect(200);
        const cursor = encodeURIComponent(tamperedMac(cursorOf(first.headers)));
        const response = await t
          .http()
          .get(`/api/me/webhooks/${webhook.id}/deliveries?limit=1&cursor=${cursor}`)
          .set(user.auth);
        expectFieldError(response, 'cursor');
      });
    });
  });

  describe('isolation of the webhook routes', () => {
    let alice: Registered;
    let bob: Registered;
    let alicesHook: Body;
    beforeAll(async () => {
      alice = await registerUser(t);
      bob = await registerUser(t);
      alicesHook = await create(alice, {
        url: hookUrl('alice'),
        events: ['*'],
        description: 'Alice private hook',
      });
      await create(bob, { url: hookUrl('bob'), description: 'Bob hook' });
    });

    const ROUTES: NamedRoute[] = [
      ['list', (t, base) => t.http().get(`${base}/webhooks`)],
      [
        'create',
        (t, base) =>
          t
            .http()
            .post(`${base}/webhooks`)
            .send({ url: hookUrl('intruder'), events: ['*'] }),
      ],
      ['get', (t, base, id) => t.http().get(`${base}/webhooks/${id}`)],
      [
        'patch',
        (t, base, id) =>
          t
            .http()
            .patch(`${base}/webhooks/${id}`)
            .send({ url: hookUrl('hijacked'), active: false }),
      ],
      ['delete', (t, base, id) => t.http().delete(`${base}/webhooks/${id}`)],
      ['test', (t, base, id) => t.http().post(`${base}/webhooks/${id}/test`)],
      ['deliveries', (t, base, id) => t.http().get(`${base}/webhooks/${id}/deliveries`)],
    ];

    describeIsolation({
      t,
      routes: ROUTES,
      byId: ['get', 'patch', 'delete', 'test', 'deliveries'],
      owner: () => alice,
      intruder: () => bob,
      admin: () => admin,
      targetId: () => alicesHook.id,
      state: async () => ({
        webhooks: await listWebhooks(t, alice),
        deliveries: await deliveriesOf(t, alice, alicesHook.id),
        toAlice: receiver.requests.filter((request) => request.path === '/hooks/alice').length,
      }),
      notFound: 'WEBHOOK_NOT_FOUND',
      secret: 'Alice private hook',
    });

    it('Bob’s list never shows Alice’s webhooks; nothing of his tests reaches her target', async () => {
      const list = await listWebhooks(t, bob);
      expect(list.map((webhook) => webhook.description)).toEqual(['Bob hook']);
      await testWebhook(t, bob, list[0].id).expect(202);
      await receiver.waitUntil(
        (requests) => requests.some((request) => request.path === '/hooks/bob'),
        10_000,
        'test event at /hooks/bob',
      );
      expect(receiver.requests.filter((request) => request.path === '/hooks/alice')).toEqual([]);
    });
  });

  it('no secret is ever written to the log (create, get, list, patch, test, delivery)', async () => {
    const user = await registerUser(t);
    const webhook = await create(user, { url: hookUrl('logged') });
    await getWebhook(t, user, webhook.id);
    await listWebhooks(t, user);
    await patchWebhook(t, user, webhook.id, { description: 'logged' }).expect(200);
    await testWebhook(t, user, webhook.id).expect(202);
    await waitForDelivery(t, user, webhook.id, (one) => one.status === 'succeeded', 10_000);
    const text = log.text.join('');
    expect(text).toContain('request completed');
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(text).not.toContain(secret.slice('whsec_'.length));
    }
  });
});

describe('Webhook targets on private addresses, without WEBHOOK_ALLOW_PRIVATE', () => {
  const t = useTestApp();
  let user: Registered;
  beforeAll(async () => {
    user = await registerUser(t);
  });

  it.each(PRIVATE_URLS)('%s: 400 on url at create, nothing created', async (url) => {
    const response = await postWebhook(t, user, { url, events: ['*'] });
    expectFieldError(response, 'url');
    expect(await listWebhooks(t, user)).toEqual([]);
  });

  it('a public address is accepted', async () => {
    const other = await registerUser(t);
    const webhook = await createWebhook(t, other, { url: PUBLIC_URL, events: ['*'] });
    expect(webhook.url).toBe(PUBLIC_URL);
  });

  it('PATCH to a private target: 400 on url, the webhook unchanged', async () => {
    const other = await registerUser(t);
    const { secret: _, ...webhook } = await createWebhook(t, other, {
      url: PUBLIC_URL,
      events: ['*'],
    });
    for (const url of PRIVATE_URLS) {
      expectFieldError(await patchWebhook(t, other, webhook.id, { url }), 'url');
    }
    expect(await getWebhook(t, other, webhook.id)).toEqual(webhook);
  });
});

describe('Webhook targets in production', () => {
  describe('NODE_ENV=production: https only', () => {
    const t = useTestApp({ NODE_ENV: 'production' });

    it('an http target is 400 on url at create and at PATCH; https is accepted', async () => {
      const user = await registerUser(t);
      expectFieldError(
        await postWebhook(t, user, { url: 'http://1.1.1.1/hook', events: ['*'] }),
        'url',
      );
      expect(await listWebhooks(t, user)).toEqual([]);
      const { secret: _, ...webhook } = await createWebhook(t, user, {
        url: PUBLIC_URL,
        events: ['*'],
      });
      expectFieldError(
        await patchWebhook(t, user, webhook.id, { url: 'http://1.1.1.1/hook' }),
        'url',
      );
      expect(await getWebhook(t, user, webhook.id)).toEqual(webhook);
    });
  });

  describe('NODE_ENV=production with WEBHOOK_ALLOW_HTTP=true', () => {
    const t = useTestApp({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'true' });

    it('an http target is accepted; a private one still is not', async () => {
      const user = await registerUser(t);
      const webhook = await createWebhook(t, user, { url: 'http://1.1.1.1/hook', events: ['*'] });
      expect(webhook.url).toBe('http://1.1.1.1/hook');
      expectFieldError(
        await postWebhook(t, user, { url: 'http://127.0.0.1:8080/hook', events: ['*'] }),
        'url',
      );
    });
  });
});
