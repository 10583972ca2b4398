import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Everything the app reads from the environment, typed and validated once at start-up. */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** Unset: the embedded PostgreSQL in dataDir is used. */
  databaseUrl?: string;
  dataDir: string;
  databasePoolMax: number;
  migrationsRun: boolean;
  redisUrl?: string;
  jwtSecret: string;
  jwtAccessTtlSeconds: number;
  jwtRefreshTtlSeconds: number;
  adminEmail?: string;
  adminPassword?: string;
  corsOrigins: string[];
  loginMaxFailuresPerEmail: number;
  loginMaxFailuresPerIp: number;
  loginWindowSeconds: number;
  authRateLimit: number;
  trustProxy?: boolean | number | string[];
  docsEnabled: boolean;
  metricsEnabled: boolean;
  logLevel: string;
  /** How long a just-rotated refresh token still gets a fresh pair of its own; 0: never. */
  jwtRefreshReuseGraceSeconds: number;
  /** The longest one SQL statement may run (and a transaction sit idle), in milliseconds. */
  databaseStatementTimeoutMs: number;
  /** How long a trashed task stays restorable before the purge job deletes it for good. */
  trashRetentionSeconds: number;
  /** How long the change feed remembers a change (a deletion above all); older `since` is 410. */
  changesRetentionSeconds: number;
  /** Webhook targets: plain http allowed in production / private and loopback addresses allowed. */
  webhookAllowHttp: boolean;
  webhookAllowPrivate: boolean;
  /** The first retry delay of a failed webhook delivery, in milliseconds; each later one doubles. */
  webhookRetryBaseMs: number;
  /** X-Total-Count is exact up to this many matching rows and left out above (counting stops there). */
  countLimit: number;
  /** Bearer JWTs of an external issuer (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE); unset: none. */
  externalAuth?: ExternalAuthConfig;
}

export interface ExternalAuthConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Asymmetric JWS algorithms only (AUTH_ALGORITHMS). */
  algorithms: string[];
}

/** A bad variable: start-up stops with this one line. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_BYTES = 32;

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'], 'development');
  const dataDir = resolve(read.string('DATA_DIR') ?? './data');
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const config: AppConfig = {
    nodeEnv,
    port: read.integer('PORT', 3000, 0, 65535),
    databaseUrl,
    dataDir,
    databasePoolMax: read.integer('DATABASE_POOL_MAX', 10, 1, 1000),
    migrationsRun: read.boolean('MIGRATIONS_RUN', true),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    jwtSecret: jwtSecret(read, nodeEnv, dataDir),
    jwtAccessTtlSeconds: read.duration('JWT_ACCESS_TTL', '15m'),
    jwtRefreshTtlSeconds: read.duration('JWT_REFRESH_TTL', '30d'),
    adminEmail: read.email('ADMIN_EMAIL'),
    adminPassword: read.string('ADMIN_PASSWORD'),
    corsOrigins: read.origins('CORS_ORIGINS'),
    loginMaxFailuresPerEmail: read.integer('LOGIN_MAX_FAILURES_PER_EMAIL', 5, 1, 1_000_000),
    loginMaxFailuresPerIp: read.integer('LOGIN_MAX_FAILURES_PER_IP', 20, 1, 1_000_000),
    loginWindowSeconds: read.duration('LOGIN_WINDOW', '15m'),
    authRateLimit: read.integer('AUTH_RATE_LIMIT', 60, 1, 1_000_000),
    trustProxy: read.trustProxy('TRUST_PROXY'),
    docsEnabled: read.boolean('DOCS_ENABLED', true),
    metricsEnabled: read.boolean('METRICS_ENABLED', false),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    jwtRefreshReuseGraceSeconds: read.duration('JWT_REFRESH_REUSE_GRACE', '10s', {
      allowZero: true,
    }),
    databaseStatementTimeoutMs: read.durationMs('DATABASE_STATEMENT_TIMEOUT', '10s'),
    trashRetentionSeconds: read.duration('TRASH_RETENTION', '30d'),
    changesRetentionSeconds: read.duration('CHANGES_RETENTION', '30d'),
    webhookAllowHttp: read.boolean('WEBHOOK_ALLOW_HTTP', false),
    webhookAllowPrivate: read.boolean('WEBHOOK_ALLOW_PRIVATE', false),
    webhookRetryBaseMs: read.durationMs('WEBHOOK_RETRY_BASE', '5s'),
    countLimit: read.integer('COUNT_LIMIT', 10_000, 1, 10_000_000),
    externalAuth: externalAuth(read),
  };
  if (config.adminPassword !== undefined && config.adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  return config;
}

const EXTERNAL_AUTH_VARIABLES = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;
/**
 * The asymmetric JWS algorithms jose verifies. HS* is left out on purpose: a key set is public,
 * and an HMAC "signed" with a public key proves nothing (the algorithm-confusion attack).
 */
const EXTERNAL_ALGORITHMS = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];

/** All three variables or none; AUTH_ALGORITHMS is checked even when they are unset. */
function externalAuth(read: EnvReader): ExternalAuthConfig | undefined {
  const raw = read.string('AUTH_ALGORITHMS') ?? 'EdDSA,ES256,RS256';
  const algorithms = raw.split(',').map((algorithm) => algorithm.trim());
  for (const algorithm of algorithms) {
    if (/^(none|HS\d*)$/i.test(algorithm)) {
      throw new ConfigError(
        'AUTH_ALGORITHMS',
        `must not allow "${algorithm}": only public-key algorithms can be checked against a key set`,
      );
    }
    if (!EXTERNAL_ALGORITHMS.includes(algorithm)) {
      throw new ConfigError(
        'AUTH_ALGORITHMS',
        `must be a comma-separated list of ${EXTERNAL_ALGORITHMS.join(', ')} (got "${algorithm}")`,
      );
    }
  }
  const given = EXTERNAL_AUTH_VARIABLES.filter((name) => read.string(name) !== undefined);
  if (given.length === 0) return undefined;
  const missing = EXTERNAL_AUTH_VARIABLES.find((name) => !given.includes(name));
  if (missing) {
    throw new ConfigError(
      missing,
      `is required when ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set ` +
        `(external tokens need ${EXTERNAL_AUTH_VARIABLES.join(', ')})`,
    );
  }
  const jwksUrl = read.url('AUTH_JWKS_URL', ['https:', 'http:'])!;
  const { protocol, hostname } = new URL(jwksUrl);
  if (protocol === 'http:' && !isLoopback(hostname)) {
    throw new ConfigError(
      'AUTH_JWKS_URL',
      'must be an https:// URL (plain http only for a loopback host: localhost, 127.0.0.1, [::1])',
    );
  }
  return {
    jwksUrl,
    issuer: read.string('AUTH_ISSUER')!,
    audience: read.string('AUTH_AUDIENCE')!,
    algorithms: [...new Set(algorithms)],
  };
}

const isLoopback = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/**
 * Production needs a real secret; development generates one once and keeps it in DATA_DIR so
 * tokens survive a restart.
 */
function jwtSecret(read: EnvReader, nodeEnv: string, dataDir: string): string {
  const given = read.string('JWT_SECRET');
  if (given !== undefined) {
    if (Buffer.byteLength(given, 'utf8') < MIN_SECRET_BYTES) {
      throw new ConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    return given;
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('JWT_SECRET', `is required in production (${MIN_SECRET_BYTES}+ bytes)`);
  }
  try {
    return readOrCreateSecret(join(dataDir, 'jwt-secret'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      'DATA_DIR',
      `(${dataDir}) cannot be created or written (${code}): set DATA_DIR to a folder that can ` +
        'be, or set JWT_SECRET and DATABASE_URL to use your own PostgreSQL',
    );
  }
}

/** A random secret kept in a file readable only by its owner, created on first use. */
export function readOrCreateSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(join(file, '..'), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(file, 'utf8').trim();
    throw error;
  }
}

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `900`, `90s`, `15m`, `12h`, `30d` -> seconds (`0` only when allowed). */
export function parseDuration(value: string, allowZero = false): number | undefined {
  const ms = parseDurationMs(value, allowZero);
  return ms !== undefined && ms % 1000 === 0 ? ms / 1000 : undefined;
}

/** `250ms`, `900` (seconds), `90s`, `15m`, `12h`, `30d` -> milliseconds (`0` only when allowed). */
export function parseDurationMs(value: string, allowZero = false): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_MS[match[2] ?? 's'];
  return (ms > 0 || (allowZero && ms === 0)) && Number.isSafeInteger(ms) ? ms : undefined;
}

class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return Number(raw);
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false (got "${raw}")`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw as T)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  }

  duration(name: string, fallback: string, { allowZero = false } = {}): number {
    const raw = this.string(name) ?? fallback;
    const seconds = parseDuration(raw, allowZero);
    if (seconds === undefined) {
      throw new ConfigError(
        name,
        `must be a duration like ${allowZero ? '0, ' : ''}900, 90s, 15m, 12h or 30d (got "${raw}")`,
      );
    }
    return seconds;
  }

  /** A duration that may be finer than a second (`250ms`), in milliseconds. */
  durationMs(name: string, fallback: string): number {
    const raw = this.string(name) ?? fallback;
    const ms = parseDurationMs(raw);
    if (ms === undefined || ms > 2_147_483_647) {
      throw new ConfigError(name, `must be a duration like 500ms, 10s or 2m (got "${raw}")`);
    }
    return ms;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(name, 'is not a valid URL');
    }
    if (!protocols.includes(url.protocol) || !url.hostname) {
      throw new ConfigError(name, `must be a ${protocols.join(' or ')}// URL with a host`);
    }
    return raw;
  }

  email(name: string): string | undefined {
    const raw = this.string(name)?.toLowerCase();
    if (raw !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw)) {
      throw new ConfigError(name, `is not an email address (got "${raw}")`);
    }
    return raw;
  }

  origins(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    return raw.split(',').map((origin) => {
      const trimmed = origin.trim();
      let url: URL;
      try {
        url = new URL(trimmed);
      } catch {
        throw new ConfigError(name, `has an invalid origin "${trimmed}"`);
      }
      if (trimmed === '*' || url.origin !== trimmed.replace(/\/$/, '')) {
        throw new ConfigError(
          name,
          `must list origins like https://app.example.com (got "${trimmed}")`,
        );
      }
      return url.origin;
    });
  }

  /** A hop count, true/false, or a comma-separated list of proxy addresses. */
  trustProxy(name: string): boolean | number | string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (/^\d+$/.test(raw)) return Number(raw);
    if (raw === 'true' || raw === 'false') return raw === 'true';
    return raw.split(',').map((address) => address.trim());
  }
}
