/**
 * Token verification: static keys (PEM / JWK / HMAC secret) and a remote JWKS, tried in that
 * order. A token problem becomes `{reject}`; a JWKS that cannot be fetched throws
 * `JwksUnavailableError`, which the hook lets through so the kernel fails closed.
 */
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  type CryptoKey,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { algorithmNotAccepted, type Expectations, MALFORMED, rejectReason } from './reasons.js';

export interface KeyConfig {
  jwksUrl?: string;
  publicKeys?: (string | JWK)[];
  hmacSecret?: string;
  issuer?: string;
  audience: string | string[];
  algorithms: string[];
  clockToleranceSec: number;
  jwksTimeoutMs: number;
}

export type VerifyOutcome = { payload: JWTPayload } | { reject: string };

/** The JWKS could not be fetched or read: not the token's fault, so the caller fails closed. */
export class JwksUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`the SSO JWKS at ${url} could not be fetched: ${why}`, { cause });
    this.name = 'JwksUnavailableError';
  }
}

interface StaticKey {
  key: KeyObject;
  kid?: string;
  algs: ReadonlySet<string>;
}

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const HMAC = ['HS256', 'HS384', 'HS512'];
const CURVE_ALG: Record<string, string> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
};
/** What a remote JWKS may hold: any asymmetric algorithm. */
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Algorithms a public key can verify, from its type (and the JWK's own `alg`, when given). */
function algorithmsFor(key: KeyObject, jwkAlg?: string): string[] {
  const type = key.asymmetricKeyType;
  let algs: string[] = [];
  if (type === 'rsa') algs = RSA;
  else if (type === 'rsa-pss') algs = RSA.filter((a) => a.startsWith('PS'));
  else if (type === 'ec') algs = [CURVE_ALG[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? ''].filter(Boolean);
  else if (type === 'ed25519' || type === 'ed448') algs = ['EdDSA'];
  return jwkAlg ? algs.filter((a) => a === jwkAlg) : algs;
}

function importStaticKey(input: string | JWK, index: number): StaticKey {
  try {
    if (typeof input === 'string') {
      const key = createPublicKey(input);
      return { key, algs: new Set(algorithmsFor(key)) };
    }
    const key = createPublicKey({ key: input as JsonWebKey, format: 'jwk' });
    return { key, kid: input.kid, algs: new Set(algorithmsFor(key, input.alg)) };
  } catch (error) {
    throw new Error(`publicKeys[${index}] is not a usable public key: ${(error as Error).message}`);
  }
}

export class TokenVerifier {
  private readonly staticKeys: StaticKey[];
  private readonly jwks?: JWTVerifyGetKey;
  readonly allowedAlgorithms: readonly string[];
  private readonly options: JWTVerifyOptions;
  private readonly expected: Expectations;

  /** Throws (with a message for the operator) when the keys are unusable or fit no algorithm. */
  constructor(private readonly config: KeyConfig) {
    this.staticKeys = (config.publicKeys ?? []).map(importStaticKey);
    if (config.hmacSecret)
      this.staticKeys.push({ key: createSecretKey(Buffer.from(config.hmacSecret, 'utf8')), algs: new Set(HMAC) });
    if (config.jwksUrl)
      this.jwks = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: config.jwksTimeoutMs });
    const usable = new Set([...this.staticKeys.flatMap((k) => [...k.algs]), ...(this.jwks ? ASYMMETRIC : [])]);
    this.allowedAlgorithms = config.algorithms.filter((a) => usable.has(a));
    if (this.allowedAlgorithms.length === 0) {
      throw new Error(
        `none of the algorithms ${config.algorithms.join(', ')} can be verified with the configured keys (they allow ${[...usable].join(', ') || 'nothing'})`,
      );
    }
    this.options = {
      audience: config.audience,
      issuer: config.issuer,
      algorithms: [...this.allowedAlgorithms],
      clockTolerance: config.clockToleranceSec,
    };
    this.expected = { audience: config.audience, issuer: config.issuer, allowedAlgorithms: this.allowedAlgorithms };
  }

  async verify(token: string): Promise<VerifyOutcome> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { reject: MALFORMED };
    }
    if (token.split('.').length !== 3) return { reject: MALFORMED };
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.allowedAlgorithms.includes(alg))
      return { reject: algorithmNotAccepted(alg, this.allowedAlgorithms) };

    let lastError: unknown = new errors.JWKSNoMatchingKey();
    const candidates = this.staticKeys.filter(
      (k) => k.algs.has(alg) && (!header.kid || !k.kid || k.kid === header.kid),
    );
    for (const candidate of candidates) {
      const attempt = await this.attempt(token, candidate.key);
      if (attempt.done) return attempt.outcome;
      lastError = attempt.error;
    }
    if (this.jwks && !alg.startsWith('HS')) {
      try {
        return { payload: (await jwtVerify(token, this.jwks, this.options)).payload };
      } catch (error) {
        if (error instanceof errors.JWKSMultipleMatchingKeys) return this.tryEach(token, error);
        lastError = error;
      }
    }
    return this.fail(lastError);
  }

  /** Several JWKS keys fit the header (no `kid`): the first that verifies wins. */
  private async tryEach(token: string, multiple: errors.JWKSMultipleMatchingKeys): Promise<VerifyOutcome> {
    let lastError: unknown = new errors.JWSSignatureVerificationFailed();
    for await (const key of multiple as unknown as AsyncIterable<CryptoKey>) {
      const attempt = await this.attempt(token, key);
      if (attempt.done) return attempt.outcome;
      lastError = attempt.error;
    }
    return this.fail(lastError);
  }

  /** One key: done (verified, or failed for a reason other than the signature) or try the next. */
  private async attempt(
    token: string,
    key: KeyObject | CryptoKey,
  ): Promise<{ done: true; outcome: VerifyOutcome } | { done: false; error: unknown }> {
    try {
      return { done: true, outcome: { payload: (await jwtVerify(token, key, this.options)).payload } };
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) return { done: false, error };
      return { done: true, outcome: this.fail(error) };
    }
  }

  private fail(error: unknown): VerifyOutcome {
    const reason = rejectReason(error, this.expected);
    if (reason !== undefined) return { reject: reason };
    if (this.config.jwksUrl) throw new JwksUnavailableError(this.config.jwksUrl, error);
    throw error;
  }
}
