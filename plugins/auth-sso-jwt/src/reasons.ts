/**
 * Reasons a person can act on, for every way a token can fail. A reason never quotes the token;
 * it may quote a claim value (audience, issuer, expiry), which is not a credential.
 */
import { errors } from 'jose';

/** What the plugin expected, so a reason can say "X, not Y". */
export interface Expectations {
  audience: string | string[];
  issuer?: string;
  allowedAlgorithms: readonly string[];
}

const list = (value: unknown): string => (Array.isArray(value) ? value.map(String).join(', ') : String(value));

function when(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : 'an unknown time';
}

/** The reason for a claim that failed validation (`aud`, `iss`, `nbf`, …). */
function claimReason(error: errors.JWTClaimValidationFailed, expected: Expectations): string {
  const { claim, payload } = error;
  switch (claim) {
    case 'aud':
      return payload.aud === undefined
        ? `the SSO token has no audience; expected ${list(expected.audience)}`
        : `the SSO token is for audience ${list(payload.aud)}, not ${list(expected.audience)}`;
    case 'iss':
      return payload.iss === undefined
        ? `the SSO token has no issuer; expected ${expected.issuer}`
        : `the SSO token was issued by ${payload.iss}, not ${expected.issuer}`;
    case 'nbf':
      return `the SSO token is not valid before ${when(payload.nbf)}`;
    case 'iat':
      return 'the SSO token has an invalid issued-at (iat) claim';
    default:
      return `the SSO token's ${claim} claim is invalid (${error.reason})`;
  }
}

/**
 * Map an error thrown while verifying a token to a reject reason. `undefined` means the error is
 * not about the token (the JWKS could not be fetched, …): the caller must fail closed instead.
 */
export function rejectReason(error: unknown, expected: Expectations): string | undefined {
  if (error instanceof errors.JWTExpired) return `the SSO token expired at ${when(error.payload.exp)}`;
  if (error instanceof errors.JWTClaimValidationFailed) return claimReason(error, expected);
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the SSO token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'the SSO token signature does not verify: no configured key matches it';
  if (error instanceof errors.JOSEAlgNotAllowed)
    return `the SSO token's signing algorithm is not accepted here (accepted: ${expected.allowedAlgorithms.join(', ')})`;
  if (error instanceof errors.JOSENotSupported) return 'the SSO token uses an unsupported algorithm or key type';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the SSO token is malformed';
  return undefined;
}

export const MALFORMED = 'the SSO token is malformed';

export function algorithmNotAccepted(alg: unknown, allowed: readonly string[]): string {
  const name = typeof alg === 'string' && /^[A-Za-z0-9+-]{1,16}$/.test(alg) ? alg : 'an unknown algorithm';
  return `the SSO token is signed with ${name}, which is not accepted here (accepted: ${allowed.join(', ')})`;
}

export function missingClaim(claim: string): string {
  return `the SSO token has no usable "${claim}" claim to identify the user`;
}
