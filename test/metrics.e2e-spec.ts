import { createTask, expectProblem, registerUser } from './support/builders';
import { useTestApp } from './support/test-app';

describe('GET /metrics', () => {
  describe('with METRICS_ENABLED', () => {
    const t = useTestApp({ METRICS_ENABLED: 'true' });

    it('serves Prometheus text without a token: requests by route template and status, latency, pool, process', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      await t.http().get('/api/me/tasks/not-a-uuid').set(user.auth).expect(400);
      await t.http().get('/no/such/route/12345').expect(404);

      const response = await t.http().get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = response.text;
      expect(text).toContain(
        'http_requests_total{method="GET",route="/api/:user_id/tasks/:id",status="200"} 2',
      );
      expect(text).toContain(
        'http_requests_total{method="GET",route="/api/:user_id/tasks/:id",status="400"} 1',
      );
      expect(text).toContain(
        'http_requests_total{method="POST",route="/api/:user_id/tasks",status="201"} 1',
      );
      expect(text).toContain('route="unmatched",status="404"');
      // Raw URLs (ids) never become labels.
      expect(text).not.toContain(task.id);
      expect(text).not.toContain('/no/such/route');
      expect(text).toMatch(
        /http_request_duration_seconds_bucket\{le="0\.5",method="GET",route="\/api\/:user_id\/tasks\/:id",status="200"\} 2/,
      );
      expect(text).toMatch(/^db_pool_connections_in_use \d+$/m);
      expect(text).toMatch(/^db_pool_connections_idle [1-9]\d*$/m);
      expect(text).toMatch(/^db_pool_requests_waiting 0$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    });

    it('is not rejected by an invalid bearer token (it is outside the user auth)', async () => {
      await t.http().get('/metrics').set('Authorization', 'Bearer nonsense').expect(200);
    });
  });

  describe('without METRICS_ENABLED', () => {
    const t = useTestApp();

    it('is not served', async () => {
      expectProblem(await t.http().get('/metrics'), 404, 'NOT_FOUND');
    });
  });
});
