import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ProblemException, unauthenticated } from '../../common/problem';
import type { ExternalAuthConfig } from '../../config/config';

/** An unknown `kid` fetches the key set again at most this often (an unknown kid is cheap to send). */
const JWKS_COOLDOWN_MS = 30_000;
/** Known keys are trusted this long after a fetch: a key the issuer withdraws stops within it. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;
const CLOCK_TOLERANCE_SECONDS = 60;
/**
 * A verified token is trusted again without its signature check (an EdDSA verify is most of an
 * external caller's cost) for at most this long, and never past its `exp` and the skew: a key the
 * issuer withdraws stops its tokens within a minute here, as a withdrawn key would within
 * JWKS_MAX_AGE_MS anyway. Bounded in entries, the oldest going first.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

type VerifiedClaims = JWTPayload & { sub: string };

/**
 * Checks a bearer JWT of the external issuer with jose: signature by the key of its `kid` in the
 * issuer's JSON Web Key Set (fetched, cached, fetched again for an unknown kid), algorithm pinned
 * to AUTH_ALGORITHMS, `iss`, `aud`, `exp` (required) and `nbf` with 60 s of clock skew.
 *
 * A token verified once is taken again from memory for up to a minute (VERIFIED_TTL_MS).
 * Any failure is 401, as the contract says, a key set that cannot be had included (the issuer
 * down, slow, or answering something that is not a key set): the token may be good then, so that
 * case is logged as a warning for the operator and its 401 says why.
 */
export class ExternalTokenVerifier {
  private readonly logger = new Logger('ExternalAuth');
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly verified = new Map<string, { claims: VerifiedClaims; until: number }>();

  constructor(
    private readonly config: ExternalAuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), {
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
  }

  /** The verified claims, `sub` included; a ProblemException otherwise. */
  async verify(token: string): Promise<VerifiedClaims> {
    const known = this.verified.get(token);
    if (known && known.until > this.now()) return known.claims;
    const claims = await this.check(token);
    this.remember(token, claims);
    return claims;
  }

  private remember(token: string, claims: VerifiedClaims) {
    const expiry = (claims.exp! + CLOCK_TOLERANCE_SECONDS) * 1000;
    this.verified.delete(token);
    if (this.verified.size >= VERIFIED_MAX_ENTRIES)
      this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, until: Math.min(expiry, this.now() + VERIFIED_TTL_MS) });
  }

  private async check(token: string): Promise<VerifiedClaims> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: this.config.algorithms,
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 1000) {
        throw unauthenticated('The token has no usable `sub` claim.');
      }
      return payload as VerifiedClaims;
    } catch (error) {
      if (error instanceof ProblemException) throw error;
      if (isKeySetFailure(error)) {
        this.logger.warn(
          `the key set at ${this.config.jwksUrl} cannot be fetched: ${describe(error)}`,
        );
        throw unauthenticated(
          'The sign-in service’s keys cannot be fetched right now: the token cannot be checked.',
        );
      }
      throw unauthenticated();
    }
  }
}

/**
 * jose's own errors are about the token, except these three about the key set's fetch: a timeout,
 * an answer that is not a key set, and its generic error for a non-200 or non-JSON answer. Any
 * other error comes from fetch itself (connection refused, DNS, TLS).
 */
function isKeySetFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === 'ERR_JOSE_GENERIC'
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
