import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, parseDuration } from './config';

const SECRET = 'a-secret-that-is-at-least-32-bytes-long!';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'task-api-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** loadConfig's error for `env`, or a failure when it does not throw. */
  function configErrorFor(env: Record<string, string>): ConfigError {
    try {
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  }

  it('gives every variable its documented default', () => {
    expect(loadConfig({ JWT_SECRET: SECRET })).toEqual({
      nodeEnv: 'development',
      port: 3000,
      databaseUrl: undefined,
      dataDir: resolve('data'),
      databasePoolMax: 10,
      migrationsRun: true,
      redisUrl: undefined,
      jwtSecret: SECRET,
      jwtAccessTtlSeconds: 15 * 60,
      jwtRefreshTtlSeconds: 30 * 24 * 3600,
      adminEmail: undefined,
      adminPassword: undefined,
      corsOrigins: [],
      loginMaxFailuresPerEmail: 5,
      loginMaxFailuresPerIp: 20,
      loginWindowSeconds: 15 * 60,
      authRateLimit: 60,
      trustProxy: undefined,
      docsEnabled: true,
      metricsEnabled: false,
      logLevel: 'info',
      jwtRefreshReuseGraceSeconds: 10,
      databaseStatementTimeoutMs: 10_000,
      trashRetentionSeconds: 30 * 86_400,
      changesRetentionSeconds: 30 * 86_400,
      webhookAllowHttp: false,
      webhookAllowPrivate: false,
      webhookRetryBaseMs: 5_000,
      externalAuth: undefined,
      countLimit: 10_000,
    });
  });

  it('treats an empty or blank variable as unset', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, PORT: '', DATABASE_URL: '  ', LOG_LEVEL: '' });
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('reads valid values', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgresql://app:pw@db.example.com/tasks?sslmode=require',
      DATA_DIR: dataDir,
      DATABASE_POOL_MAX: '3',
      MIGRATIONS_RUN: 'false',
      REDIS_URL: 'rediss://cache.example.com:6380',
      JWT_SECRET: SECRET,
      JWT_ACCESS_TTL: '900',
      JWT_REFRESH_TTL: '12h',
      ADMIN_EMAIL: ' Admin@Example.com ',
      ADMIN_PASSWORD: 'long-enough',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/',
      LOGIN_MAX_FAILURES_PER_EMAIL: '3',
      LOGIN_MAX_FAILURES_PER_IP: '7',
      LOGIN_WINDOW: '90s',
      AUTH_RATE_LIMIT: '120',
      TRUST_PROXY: '10.0.0.1, 10.0.0.2',
      DOCS_ENABLED: 'no',
      METRICS_ENABLED: 'ON',
      LOG_LEVEL: 'debug',
      JWT_REFRESH_REUSE_GRACE: '30s',
      DATABASE_STATEMENT_TIMEOUT: '1500ms',
      TRASH_RETENTION: '7d',
      CHANGES_RETENTION: '90d',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE: '250ms',
      COUNT_LIMIT: '500',
    });
    expect(config).toEqual({
      nodeEnv: 'production',
      port: 8080,
      databaseUrl: 'postgresql://app:pw@db.example.com/tasks?sslmode=require',
      dataDir,
      databasePoolMax: 3,
      migrationsRun: false,
      redisUrl: 'rediss://cache.example.com:6380',
      jwtSecret: SECRET,
      jwtAccessTtlSeconds: 900,
      jwtRefreshTtlSeconds: 12 * 3600,
      adminEmail: 'admin@example.com',
      adminPassword: 'long-enough',
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      loginMaxFailuresPerEmail: 3,
      loginMaxFailuresPerIp: 7,
      loginWindowSeconds: 90,
      authRateLimit: 120,
      trustProxy: ['10.0.0.1', '10.0.0.2'],
      docsEnabled: false,
      metricsEnabled: true,
      logLevel: 'debug',
      jwtRefreshReuseGraceSeconds: 30,
      databaseStatementTimeoutMs: 1500,
      trashRetentionSeconds: 7 * 86_400,
      changesRetentionSeconds: 90 * 86_400,
      webhookAllowHttp: true,
      webhookAllowPrivate: true,
      webhookRetryBaseMs: 250,
      countLimit: 500,
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('reads the boolean %p as %p', (value, expected) => {
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, MIGRATIONS_RUN: value });
    expect(config.migrationsRun).toBe(expected);
  });

  it.each([
    ['1', 1],
    ['true', true],
    ['false', false],
  ])('reads TRUST_PROXY %p as %p', (value, expected) => {
    expect(
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, TRUST_PROXY: value }).trustProxy,
    ).toBe(expected);
  });

  describe('a bad value throws ConfigError with one line naming the variable', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '3000abc'],
      ['PORT', '-1'],
      ['PORT', '65536'],
      ['PORT', '80.5'],
      ['DATABASE_URL', 'not a url'],
      ['DATABASE_URL', 'localhost:5432/tasks'],
      ['DATABASE_URL', 'mysql://app:pw@db.example.com/tasks'],
      ['DATABASE_URL', 'postgres://'],
      ['DATABASE_POOL_MAX', '0'],
      ['DATABASE_POOL_MAX', 'ten'],
      ['MIGRATIONS_RUN', 'maybe'],
      ['DOCS_ENABLED', 'enabled'],
      ['METRICS_ENABLED', '2'],
      ['REDIS_URL', 'http://cache.example.com'],
      ['REDIS_URL', 'nope'],
      ['JWT_SECRET', 'short'],
      ['JWT_SECRET', 'x'.repeat(31)],
      ['JWT_ACCESS_TTL', '15 minutes'],
      ['JWT_ACCESS_TTL', '0'],
      ['JWT_ACCESS_TTL', '-5m'],
      ['JWT_ACCESS_TTL', '1.5h'],
      ['JWT_REFRESH_TTL', '30days'],
      ['JWT_REFRESH_TTL', '2w'],
      ['LOGIN_WINDOW', 'soon'],
      ['ADMIN_EMAIL', 'not-an-email'],
      ['ADMIN_PASSWORD', 'short'],
      ['CORS_ORIGINS', '*'],
      ['CORS_ORIGINS', 'app.example.com'],
      ['CORS_ORIGINS', 'https://app.example.com/path'],
      ['CORS_ORIGINS', 'https://app.example.com,,https://other.example.com'],
      ['CORS_ORIGINS', 'https://app.example.com?x=1'],
      ['LOGIN_MAX_FAILURES_PER_EMAIL', 'five'],
      ['LOGIN_MAX_FAILURES_PER_IP', '0'],
      ['AUTH_RATE_LIMIT', '-60'],
      ['COUNT_LIMIT', '0'],
      ['COUNT_LIMIT', '10k'],
      ['LOG_LEVEL', 'verbose'],
      ['NODE_ENV', 'staging'],
      ['AUTH_ALGORITHMS', 'none'],
      ['AUTH_ALGORITHMS', 'EdDSA,HS256'],
      ['AUTH_ALGORITHMS', 'hs512'],
      ['AUTH_ALGORITHMS', 'RS256,,ES256'],
      ['AUTH_ALGORITHMS', 'ES256K'],
    ])('%s=%p', (variable, value) => {
      const error = configErrorFor({ [variable]: value });
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
      expect(error.message).not.toContain('\n');
    });

    it('production without JWT_SECRET', () => {
      let thrown: unknown;
      try {
        loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).variable).toBe('JWT_SECRET');
      expect((thrown as ConfigError).message).toMatch(
        /^Invalid configuration: JWT_SECRET .*production/,
      );
    });

    it('never echoes a secret or a database password', () => {
      expect(configErrorFor({ JWT_SECRET: 'hunter2-secret' }).message).not.toContain('hunter2');
      expect(
        configErrorFor({ DATABASE_URL: 'mysql://app:hunter2@db.example.com/tasks' }).message,
      ).not.toContain('hunter2');
    });
  });

  describe('an external issuer', () => {
    const ISSUER = {
      AUTH_JWKS_URL: 'https://auth.example.com/api/auth/jwks',
      AUTH_ISSUER: 'https://auth.example.com',
      AUTH_AUDIENCE: 'https://tasks.example.com',
    };
    const load = (env: Record<string, string>) =>
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, ...env }).externalAuth;

    it('is read from all three variables, with the default algorithms', () => {
      expect(load(ISSUER)).toEqual({
        jwksUrl: 'https://auth.example.com/api/auth/jwks',
        issuer: 'https://auth.example.com',
        audience: 'https://tasks.example.com',
        algorithms: ['EdDSA', 'ES256', 'RS256'],
      });
    });

    it('takes AUTH_ALGORITHMS as a list of public-key algorithms', () => {
      expect(load({ ...ISSUER, AUTH_ALGORITHMS: ' ES256 , PS256,ES256' })?.algorithms).toEqual([
        'ES256',
        'PS256',
      ]);
    });

    it.each([
      ['http://localhost:3001/api/auth/jwks'],
      ['http://127.0.0.1:3001/api/auth/jwks'],
      ['http://[::1]:3001/api/auth/jwks'],
    ])('takes plain http for a loopback host: %s', (url) => {
      expect(load({ ...ISSUER, AUTH_JWKS_URL: url })?.jwksUrl).toBe(url);
    });

    it.each([
      ['http://auth.example.com/api/auth/jwks'],
      ['http://10.0.0.5/jwks'],
      ['ftp://auth.example.com/jwks'],
      ['not a url'],
    ])('refuses AUTH_JWKS_URL %s', (url) => {
      expect(configErrorFor({ ...ISSUER, AUTH_JWKS_URL: url }).variable).toBe('AUTH_JWKS_URL');
    });

    it.each(['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'])(
      'does not start with %s missing, and names it',
      (missing) => {
        const error = configErrorFor({ ...ISSUER, [missing]: '' });
        expect(error.variable).toBe(missing);
        expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${missing} is required`));
      },
    );

    it('names the first missing one when only one is set', () => {
      expect(configErrorFor({ AUTH_AUDIENCE: 'https://tasks.example.com' }).variable).toBe(
        'AUTH_JWKS_URL',
      );
    });

    it('a bad AUTH_ALGORITHMS stops start-up even without an issuer', () => {
      expect(configErrorFor({ AUTH_ALGORITHMS: 'HS256' }).message).toMatch(
        /^Invalid configuration: AUTH_ALGORITHMS must not allow "HS256"/,
      );
    });
  });

  describe('the development secret', () => {
    it('is generated once, kept in DATA_DIR readable by its owner only, and reused', () => {
      const first = loadConfig({ DATA_DIR: dataDir }).jwtSecret;
      expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
      const file = join(dataDir, 'jwt-secret');
      expect(readFileSync(file, 'utf8').trim()).toBe(first);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toBe(first);
      expect(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test' }).jwtSecret).toBe(first);
    });

    it('differs between data directories', () => {
      const other = mkdtempSync(join(tmpdir(), 'task-api-config-'));
      try {
        expect(loadConfig({ DATA_DIR: other }).jwtSecret).not.toBe(
          loadConfig({ DATA_DIR: dataDir }).jwtSecret,
        );
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('creates a DATA_DIR that does not exist yet', () => {
      const nested = join(dataDir, 'a', 'b');
      const secret = loadConfig({ DATA_DIR: nested }).jwtSecret;
      expect(readFileSync(join(nested, 'jwt-secret'), 'utf8').trim()).toBe(secret);
    });

    it('an existing secret file is used as it is', () => {
      writeFileSync(join(dataDir, 'jwt-secret'), `${SECRET}\n`);
      expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toBe(SECRET);
    });

    it('JWT_SECRET wins over the file, and nothing is written', () => {
      expect(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET }).jwtSecret).toBe(SECRET);
      expect(() => statSync(join(dataDir, 'jwt-secret'))).toThrow();
    });
  });
});

describe('parseDuration', () => {
  it.each([
    ['900', 900],
    ['90s', 90],
    ['15m', 900],
    ['12h', 43200],
    ['30d', 2592000],
    [' 15m ', 900],
  ])('%p is %p seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each(['', '0', '0m', '15M', '1.5h', '-1', '15 m', 'm', '99999999999999999d'])(
    '%p is not a duration',
    (value) => {
      expect(parseDuration(value)).toBeUndefined();
    },
  );
});

describe('durations that may be zero or finer than a second', () => {
  it('JWT_REFRESH_REUSE_GRACE defaults to 10s and takes 0 (no grace)', () => {
    expect(loadConfig({}).jwtRefreshReuseGraceSeconds).toBe(10);
    expect(loadConfig({ JWT_REFRESH_REUSE_GRACE: '0' }).jwtRefreshReuseGraceSeconds).toBe(0);
    expect(() => loadConfig({ JWT_REFRESH_REUSE_GRACE: '-1' })).toThrow(
      'Invalid configuration: JWT_REFRESH_REUSE_GRACE',
    );
  });

  it('DATABASE_STATEMENT_TIMEOUT defaults to 10s, takes milliseconds, and is never 0', () => {
    expect(loadConfig({}).databaseStatementTimeoutMs).toBe(10_000);
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT: '250ms' }).databaseStatementTimeoutMs).toBe(
      250,
    );
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT: '2m' }).databaseStatementTimeoutMs).toBe(
      120_000,
    );
    for (const bad of ['0', '1.5s', 'soon', '30d'])
      expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT: bad })).toThrow(
        'Invalid configuration: DATABASE_STATEMENT_TIMEOUT',
      );
  });
});
