import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerStorage } from '@nestjs/throttler';
import { CounterStore } from './counter-store';
import { tooManyRequests } from './too-many-requests';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** AUTH_RATE_LIMIT on register, login and refresh: a problem+json 429 with Retry-After. */
@Injectable()
export class AuthRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw tooManyRequests(
      'Too many requests from this address. Retry later.',
      detail.timeToBlockExpire,
    );
  }
}

/** @nestjs/throttler's counters in the shared store, so the limit holds across instances. */
export class SharedThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly store: CounterStore) {}

  async increment(key: string, ttlMs: number, limit: number): Promise<ThrottlerStorageRecord> {
    const { hits, secondsLeft } = await this.store.hit(`rate:${key}`, Math.ceil(ttlMs / 1000));
    return {
      totalHits: hits,
      timeToExpire: secondsLeft,
      isBlocked: hits > limit,
      timeToBlockExpire: hits > limit ? secondsLeft : 0,
    };
  }
}
