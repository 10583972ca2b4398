import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { Sql } from '../../database/sql';
import { SharedThrottlerStorage } from './auth-rate-limit.guard';
import { CounterStore } from './counter-store';
import { LoginThrottle } from './login-throttle';
import { RedisCounterStore } from './redis-counter-store';
import { ThrottleCountersRepository } from './throttle-counters.repository';

const counterStore = {
  provide: CounterStore,
  inject: [APP_CONFIG, Sql],
  useFactory: (config: AppConfig, sql: Sql): CounterStore =>
    config.redisUrl ? new RedisCounterStore(config.redisUrl) : new ThrottleCountersRepository(sql),
};

@Module({ providers: [counterStore], exports: [counterStore] })
class CounterStoreModule {}

/** Login throttling and the general auth rate limit, both on the shared counter store. */
@Module({
  imports: [
    CounterStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [CounterStoreModule],
      inject: [APP_CONFIG, CounterStore],
      useFactory: (config: AppConfig, store: CounterStore) => ({
        throttlers: [{ name: 'auth', ttl: 60_000, limit: config.authRateLimit }],
        storage: new SharedThrottlerStorage(store),
        // One budget per address across register, login and refresh, not one per route.
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        // Retry-After comes with the problem; the X-RateLimit-* headers are not part of the contract.
        setHeaders: false,
      }),
    }),
  ],
  providers: [LoginThrottle],
  exports: [LoginThrottle, ThrottlerModule],
})
export class ThrottlingModule {}
