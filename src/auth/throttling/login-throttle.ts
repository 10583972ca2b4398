import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { CounterStore } from './counter-store';
import { tooManyRequests } from './too-many-requests';

/**
 * Failed logins per email (from any address) and per client address, counted before the
 * password is checked: each attempt takes a slot first, so a burst of parallel guesses cannot
 * slip past the limit, and an attempt over the limit gets 429 even with the right password.
 *
 * A successful login gives back only its own slot on the address counter (it never resets it),
 * so an attacker cannot interleave logins to an account of their own to keep guessing others;
 * it clears the email counter, which only the password's owner can do.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CounterStore,
  ) {}

  /** Counts the attempt; 429 with Retry-After when the email or the address is over its limit. */
  async attempt(email: string, ip: string | null): Promise<void> {
    const window = this.config.loginWindowSeconds;
    const [byEmail, byIp] = await Promise.all([
      this.store.hit(emailKey(email), window),
      this.store.hit(ipKey(ip), window),
    ]);
    const blocked = [
      byEmail.hits > this.config.loginMaxFailuresPerEmail ? byEmail.secondsLeft : 0,
      byIp.hits > this.config.loginMaxFailuresPerIp ? byIp.secondsLeft : 0,
    ];
    if (Math.max(...blocked) > 0) {
      throw tooManyRequests('Too many failed logins. Retry later.', Math.max(...blocked));
    }
  }

  /** The password was right: the attempt was not a failure. */
  async succeeded(email: string, ip: string | null): Promise<void> {
    await Promise.all([this.store.reset(emailKey(email)), this.store.unhit(ipKey(ip))]);
  }
}

const emailKey = (email: string) => `login:email:${email}`;
/** IPv6 clients are counted per /64: one host usually holds a whole /64. */
const ipKey = (ip: string | null) => `login:ip:${ip ? normalizeIp(ip) : 'unknown'}`;
