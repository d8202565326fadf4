// JWT authentication: the token travels in the MQTT Password field and is verified with jose
// against an HMAC secret, a public key (PEM), or a JWKS file. Its claims become the client's
// `attributes.jwt`, where JwtClaimAuthorizer (jwt-acl.ts) and others can read them.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthResult, Authenticator, ConnectRequest } from '../broker/ports.js';
import { failure } from './database.js';
import { badCredentials } from './decision.js';
import { remoteKeySet } from './jwks-remote.js';
import { type OnError, SourceError, SourceStats } from './lookup.js';
import {
  AuthConfigError,
  type FactoryContext,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalString,
  optionalStrings,
  readObject,
} from './options.js';

export { JwtClaimAuthorizer, type JwtClaimOptions } from './jwt-acl.js';

export interface JwtOptions {
  /** HMAC secret (UTF-8), at least 32 bytes as RFC 7518 3.2 asks for HS256. */
  secret?: string;
  /** PEM public key or certificate for RS*, PS*, ES* or EdDSA tokens. */
  publicKeyFile?: string;
  /** A JSON Web Key Set file ({"keys": [...]}); the token's "kid" picks the key. */
  jwksFile?: string;
  /** A JWKS endpoint (http:// or https://), see jwks-remote.ts. */
  jwksUrl?: string;
  /** PEM CA file trusted for the endpoint, besides the system's CAs. */
  jwksCaFile?: string;
  jwksTimeoutMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksCooldownMs?: number;
  /** What an unreachable endpoint means; default 'deny' (0x88, no later source asked). */
  onError?: OnError;
  /** Accepted "alg" values; by default those that fit the key. */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  /** A claim that must equal the CONNECT User Name, e.g. "sub"; it names the user when absent. */
  usernameClaim?: string;
  /** Allowed clock skew for "exp" and "nbf", in seconds; default 5. */
  clockToleranceSeconds?: number;
  /** Refuse tokens without "exp"; default true. */
  requireExpiration?: boolean;
  /** The clock, in ms since the epoch; tests set it. */
  now?: () => number;
}

const HMAC = ['HS256', 'HS384', 'HS512'];
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_BY_CURVE: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const JWT_KEYS = [
  'secret',
  'publicKeyFile',
  'jwksFile',
  'jwksUrl',
  'jwksCaFile',
  'jwksTimeoutMs',
  'jwksCacheMaxAgeMs',
  'jwksCooldownMs',
  'onError',
  'algorithms',
  'issuer',
  'audience',
  'usernameClaim',
  'clockToleranceSeconds',
  'requireExpiration',
  // Read by createAuth for JwtClaimAuthorizer: the claim holding the client's ACL.
  'aclClaim',
] as const;
const MIN_SECRET_BYTES = 32;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The algorithms a public key can verify: the key type decides, jose checks the rest. */
function algorithmsFor(key: KeyObject): string[] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return RSA;
  if (type === 'rsa-pss') return RSA.filter((alg) => alg.startsWith('PS'));
  if (type === 'ec') {
    const alg = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (alg) return [alg];
  }
  if (type === 'ed25519') return ['EdDSA', 'Ed25519'];
  throw new Error(`unsupported public key type ${type}`);
}

type VerificationKey = Uint8Array | KeyObject | JWTVerifyGetKey;

async function loadKey(
  options: JwtOptions,
  stats: SourceStats | undefined,
): Promise<{ key: VerificationKey; algorithms: string[] }> {
  if (options.jwksUrl !== undefined) {
    const ca = options.jwksCaFile && (await readFile(options.jwksCaFile, 'utf8'));
    const remote = {
      url: options.jwksUrl,
      ca: ca || undefined,
      timeoutMs: options.jwksTimeoutMs,
      cacheMaxAgeMs: options.jwksCacheMaxAgeMs,
      cooldownMs: options.jwksCooldownMs,
    };
    return { key: remoteKeySet(remote, stats!), algorithms: ASYMMETRIC };
  }
  if (options.secret !== undefined) {
    const key = new TextEncoder().encode(options.secret);
    if (key.length < MIN_SECRET_BYTES) {
      throw new Error(`the JWT secret must be at least ${MIN_SECRET_BYTES} bytes long`);
    }
    return { key, algorithms: HMAC };
  }
  if (options.publicKeyFile !== undefined) {
    const key = createPublicKey(await readFile(options.publicKeyFile, 'utf8'));
    return { key, algorithms: algorithmsFor(key) };
  }
  if (options.jwksFile === undefined) throw new Error('no JWT key configured');
  const jwks = JSON.parse(await readFile(options.jwksFile, 'utf8')) as JSONWebKeySet;
  if (!Array.isArray(jwks?.keys)) throw new Error(`${options.jwksFile}: expected {"keys": [...]}`);
  return { key: createLocalJWKSet(jwks), algorithms: ASYMMETRIC };
}

/** Why jose refused a token, in words for the CONNACK Reason String. */
function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `token claim "${error.claim}" ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key for this token';
  return 'token invalid';
}

export class JwtAuthenticator implements Authenticator {
  private verification?: { key: VerificationKey; algorithms: string[] };
  /** The figures of the JWKS endpoint, when keys come from one. */
  readonly stats?: SourceStats;

  private constructor(private readonly options: JwtOptions) {
    if (options.jwksUrl) this.stats = new SourceStats('jwks', options.onError ?? 'deny');
  }

  /** Loads the key; `options` needs exactly one of secret, publicKeyFile, jwksFile, jwksUrl. */
  static async create(options: JwtOptions): Promise<JwtAuthenticator> {
    const sources = [options.secret, options.publicKeyFile, options.jwksFile, options.jwksUrl];
    if (sources.filter((source) => source !== undefined).length !== 1) {
      throw new Error('exactly one of secret, publicKeyFile, jwksFile or jwksUrl must be given');
    }
    if (options.jwksUrl !== undefined && !/^https?:\/\//.test(options.jwksUrl)) {
      throw new Error('jwksUrl: expected an http:// or https:// URL');
    }
    const authenticator = new JwtAuthenticator(options);
    await authenticator.reload();
    return authenticator;
  }

  static async fromConfig(options: unknown, context: FactoryContext = {}) {
    const path = context.path ?? 'auth.jwt';
    const object = readObject(options, path, [...JWT_KEYS]);
    const parsed: JwtOptions = {
      secret: optionalString(object, 'secret', path),
      publicKeyFile: optionalString(object, 'publicKeyFile', path),
      jwksFile: optionalString(object, 'jwksFile', path),
      jwksUrl: optionalString(object, 'jwksUrl', path),
      jwksCaFile: optionalString(object, 'jwksCaFile', path),
      jwksTimeoutMs: optionalInteger(object, 'jwksTimeoutMs', path, 1, 600_000),
      jwksCacheMaxAgeMs: optionalInteger(object, 'jwksCacheMaxAgeMs', path, 0),
      jwksCooldownMs: optionalInteger(object, 'jwksCooldownMs', path, 0),
      onError: optionalChoice(object, 'onError', path, ['deny', 'ignore'] as const),
      algorithms: optionalStrings(object, 'algorithms', path),
      issuer: optionalStrings(object, 'issuer', path),
      audience: optionalStrings(object, 'audience', path),
      usernameClaim: optionalString(object, 'usernameClaim', path),
      clockToleranceSeconds: optionalInteger(object, 'clockToleranceSeconds', path, 0, 3600),
      requireExpiration: optionalBoolean(object, 'requireExpiration', path),
    };
    try {
      return await JwtAuthenticator.create(parsed);
    } catch (error) {
      throw new AuthConfigError(path, (error as Error).message);
    }
  }

  /** Re-reads the key file (SIGHUP); on error the old key stays and the error is thrown. */
  async reload(): Promise<void> {
    if (this.verification && this.options.jwksUrl) return; // the endpoint is the reload
    const loaded = await loadKey(this.options, this.stats);
    this.verification = {
      key: loaded.key,
      algorithms: this.options.algorithms ?? loaded.algorithms,
    };
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const token = request.password && Buffer.from(request.password).toString('utf8');
    if (!token || !JWT_SHAPE.test(token)) return badCredentials('no JWT in the password', false);
    const stats = this.stats;
    if (stats) stats.requests++;
    let payload: JWTPayload;
    try {
      payload = await this.verify(token);
    } catch (error) {
      if (error instanceof SourceError) {
        stats?.decided('error');
        return failure('jwks', this.options.onError ?? 'deny', error.message);
      }
      stats?.decided('deny');
      return badCredentials(describeFailure(error), true);
    }
    const result = this.accept(request, payload);
    stats?.decided(result.ok ? 'allow' : 'deny');
    return result;
  }

  private accept(request: ConnectRequest, payload: JWTPayload): AuthResult {
    const claim = this.options.usernameClaim;
    if (claim === undefined)
      return { ok: true, username: request.username, attributes: { jwt: payload } };
    const named = payload[claim];
    if (
      typeof named !== 'string' ||
      (request.username !== undefined && named !== request.username)
    ) {
      return badCredentials(`user name does not match token claim "${claim}"`, true);
    }
    return { ok: true, username: named, attributes: { jwt: payload } };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const { key, algorithms } = this.verification!;
    const options = {
      algorithms,
      issuer: this.options.issuer,
      audience: this.options.audience,
      clockTolerance: this.options.clockToleranceSeconds ?? 5,
      requiredClaims: this.options.requireExpiration === false ? [] : ['exp'],
      currentDate: this.options.now ? new Date(this.options.now()) : undefined,
    };
    // One call per key kind keeps jose's overloads apart.
    const result =
      typeof key === 'function'
        ? await jwtVerify(token, key, options)
        : await jwtVerify(token, key, options);
    return result.payload;
  }
}
