import { HttpStatus, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ProblemException } from '../../common/problem';
import { CounterStore, Hit } from './counter-store';

const KEY_PREFIX = 'task-api:throttle:';

/** INCR and the window's expiry in one atomic step: the first hit sets the expiry, later ones keep it. */
const HIT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {hits, ttl}`;

const UNHIT = `
if (tonumber(redis.call('GET', KEYS[1]) or '0') > 0) then redis.call('DECR', KEYS[1]) end
return 0`;

/** Counters in Redis (REDIS_URL): keys expire with their window. */
export class RedisCounterStore extends CounterStore implements OnModuleDestroy {
  private readonly redis: Redis;

  constructor(url: string) {
    super();
    // Fail fast while Redis is down (a 503), instead of queueing logins behind a reconnect.
    this.redis = new Redis(url, {
      keyPrefix: KEY_PREFIX,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      lazyConnect: true,
    });
    // Connection errors reach the callers as rejected commands; this keeps them out of stderr.
    this.redis.on('error', () => undefined);
  }

  async hit(key: string, windowSeconds: number): Promise<Hit> {
    const [hits, secondsLeft] = (await this.run(() =>
      this.redis.eval(HIT, 1, key, windowSeconds),
    )) as [number, number];
    return { hits, secondsLeft: Math.max(1, secondsLeft) };
  }

  async unhit(key: string): Promise<void> {
    await this.run(() => this.redis.eval(UNHIT, 1, key));
  }

  async reset(key: string): Promise<void> {
    await this.run(() => this.redis.del(key));
  }

  async onModuleDestroy() {
    this.redis.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'SERVICE_UNAVAILABLE',
        'The throttling store is unavailable. Retry shortly.',
        { headers: { 'retry-after': '5' } },
      );
    }
  }
}
