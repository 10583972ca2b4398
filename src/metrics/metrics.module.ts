import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Injectable,
  Module,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Sql } from '../database/sql';
import { Public } from '../auth/public.decorator';
import type { AppConfig } from '../config/config';

/**
 * Prometheus metrics for one app instance. Its own registry (not prom-client's global one), so
 * several apps in one process (the tests) do not collide.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly sql: Sql,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const pool = () => this.sql.pool;
    const poolGauge = (name: string, help: string, read: (pool: Pool) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(pool()));
        },
      });
    poolGauge(
      'db_pool_connections_in_use',
      'Pool connections lent to a query',
      (p) => p.totalCount - p.idleCount,
    );
    poolGauge(
      'db_pool_connections_idle',
      'Open pool connections waiting for work',
      (p) => p.idleCount,
    );
    poolGauge(
      'db_pool_requests_waiting',
      'Queries waiting for a free pool connection',
      (p) => p.waitingCount,
    );
  }

  /** Counted when the response has been sent, under the route template (never the raw URL). */
  onModuleInit() {
    const labelNames = ['method', 'route', 'status'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames,
      registers: [this.registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request received to response sent',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      // Unmatched URLs share one label, so a scanner cannot blow up the number of series.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}

@ApiTags('Health')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (only when METRICS_ENABLED is set; no token needed)',
    operationId: 'metrics',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** `GET /metrics` for Prometheus, only when METRICS_ENABLED is set. */
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.metricsEnabled) return { module: MetricsModule };
    return {
      module: MetricsModule,
      providers: [MetricsService],
      controllers: [MetricsController],
    };
  }
}
