import type { AppConfig } from '../../config/config';
import { ProblemException } from '../../common/problem';
import { CounterStore, Hit } from './counter-store';
import { LoginThrottle } from './login-throttle';

/** The shared store's contract, in memory (windows never end within a test). */
class MemoryStore extends CounterStore {
  readonly hits = new Map<string, number>();
  async hit(key: string, windowSeconds: number): Promise<Hit> {
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    return { hits: this.hits.get(key)!, secondsLeft: windowSeconds };
  }
  async unhit(key: string) {
    this.hits.set(key, Math.max(0, (this.hits.get(key) ?? 0) - 1));
  }
  async reset(key: string) {
    this.hits.delete(key);
  }
}

const config = {
  loginMaxFailuresPerEmail: 2,
  loginMaxFailuresPerIp: 3,
  loginWindowSeconds: 900,
} as AppConfig;

const status = (promise: Promise<void>) =>
  promise.then(
    () => 'ok',
    (error: ProblemException) =>
      `${error.getStatus()} retry-after=${error.extra.headers?.['retry-after']}`,
  );

describe('LoginThrottle', () => {
  let store: MemoryStore;
  let throttle: LoginThrottle;
  beforeEach(() => {
    store = new MemoryStore();
    throttle = new LoginThrottle(config, store);
  });

  it('lets the configured number of failures per email through, then 429 with Retry-After', async () => {
    expect(await status(throttle.attempt('a@x.io', '10.0.0.1'))).toBe('ok');
    expect(await status(throttle.attempt('a@x.io', '10.0.0.2'))).toBe('ok');
    expect(await status(throttle.attempt('a@x.io', '10.0.0.3'))).toBe('429 retry-after=900');
    expect(await status(throttle.attempt('b@x.io', '10.0.0.4'))).toBe('ok');
  });

  it('limits one address across emails', async () => {
    for (const email of ['a@x.io', 'b@x.io', 'c@x.io']) {
      expect(await status(throttle.attempt(email, '10.0.0.1'))).toBe('ok');
    }
    expect(await status(throttle.attempt('d@x.io', '10.0.0.1'))).toBe('429 retry-after=900');
  });

  it('a success clears the email but gives back only its own slot on the address', async () => {
    await throttle.attempt('victim@x.io', '10.0.0.1');
    await throttle.attempt('own@x.io', '10.0.0.1');
    await throttle.succeeded('own@x.io', '10.0.0.1');
    expect(store.hits.get('login:ip:10.0.0.1')).toBe(1);
    expect(store.hits.has('login:email:own@x.io')).toBe(false);
    expect(store.hits.get('login:email:victim@x.io')).toBe(1);
  });

  it('counts IPv6 clients per /64', async () => {
    await throttle.attempt('a@x.io', '2001:db8:1:2::1');
    await throttle.attempt('b@x.io', '2001:db8:1:2::ffff');
    await throttle.attempt('c@x.io', '2001:db8:1:2:abcd::9');
    expect(await status(throttle.attempt('d@x.io', '2001:db8:1:2::42'))).toBe(
      '429 retry-after=900',
    );
    expect(await status(throttle.attempt('d@x.io', '2001:db8:1:3::42'))).toBe('ok');
  });
});
