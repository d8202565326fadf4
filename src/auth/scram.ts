// SCRAM-SHA-256 (RFC 5802, RFC 7677) as an MQTT 5.0 enhanced authentication method (4.12).
// The client sends client-first in CONNECT's Authentication Data (or in an AUTH after an empty
// challenge), the server answers server-first in AUTH (0x18), the client proves it knows the
// password with client-final in AUTH, and CONNACK carries server-final, which proves that the
// server knows the credential too. The server stores only StoredKey and ServerKey, never the
// password. Channel binding is not offered (no "-PLUS" method).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { AuthStep, ConnectRequest, EnhancedAuthenticator } from '../broker/ports.js';
import { ReasonCode } from '../protocol/constants.js';
import { AuthConfigError, type FactoryContext, optionalString, readObject } from './options.js';
import {
  base64,
  type ClientFirst,
  parseClientFinal,
  parseClientFirst,
  SCRAM_HASH_BYTES,
  saslPrep,
} from './scram-messages.js';

const pbkdf2Async = promisify(pbkdf2);

export { saslPrep } from './scram-messages.js';

/** What the server keeps per user (RFC 5802 section 3); binary fields are base64. */
export interface ScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export type ScramCredentialLookup = (
  username: string,
) => ScramCredential | undefined | Promise<ScramCredential | undefined>;

/** RFC 7677 section 4: at least 4096 iterations for SCRAM-SHA-256. */
export const SCRAM_MIN_ITERATIONS = 4096;

const hash = (data: Buffer) => createHash('sha256').update(data).digest();
const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Derives a user's credential from the password; a fresh 16-byte salt unless one is given. */
export async function deriveScramCredential(
  password: string,
  options: { salt?: Uint8Array; iterations?: number } = {},
): Promise<ScramCredential> {
  const salt = Buffer.from(options.salt ?? randomBytes(16));
  const iterations = options.iterations ?? SCRAM_MIN_ITERATIONS;
  const salted = await pbkdf2Async(
    saslPrep(password),
    salt,
    iterations,
    SCRAM_HASH_BYTES,
    'sha256',
  );
  return {
    salt: base64(salt),
    iterations,
    storedKey: base64(hash(hmac(salted, 'Client Key'))),
    serverKey: base64(hmac(salted, 'Server Key')),
  };
}

/** The exchange so far, kept in the broker's per-connection state map between steps. */
interface Exchange {
  stage: 'awaiting-client-first' | 'awaiting-client-final';
  connectUsername?: string;
  first?: ClientFirst;
  serverFirst?: string;
  nonce?: string;
  credential?: ScramCredential;
}

const STATE_KEY = 'scram-sha-256';
const SERVER_NONCE_BYTES = 18;

/** A refusal, with the RFC 5802 server-error in the Authentication Data. */
function fail(reasonCode: number, error: string): AuthStep {
  return {
    done: true,
    result: { ok: false, reasonCode, reasonString: `SCRAM: ${error}` },
    data: Buffer.from(`e=${error}`),
  };
}

export class ScramSha256Authenticator implements EnhancedAuthenticator {
  readonly method = 'SCRAM-SHA-256';
  /** Makes the made-up salts of unknown users stable, so that they look like real ones. */
  private readonly decoySecret = randomBytes(32);
  private readonly lookup: ScramCredentialLookup;

  constructor(
    credentials: ReadonlyMap<string, ScramCredential> | ScramCredentialLookup,
    private readonly options: { serverNonce?: () => string } = {},
  ) {
    this.lookup =
      typeof credentials === 'function' ? credentials : (username) => credentials.get(username);
  }

  /** `{ credentialsFile }`: a JSON object of username → ScramCredential, or `{ users }` inline. */
  static async fromConfig(options: unknown, context: FactoryContext = {}) {
    const path = context.path ?? 'auth.scram';
    const object = readObject(options, path, ['credentialsFile', 'users']);
    const file = optionalString(object, 'credentialsFile', path);
    if ((file === undefined) === (object.users === undefined)) {
      throw new AuthConfigError(path, 'expected exactly one of credentialsFile or users');
    }
    const raw = file === undefined ? object.users : JSON.parse(await readFile(file, 'utf8'));
    return new ScramSha256Authenticator(readCredentials(raw, file ?? `${path}.users`));
  }

  async start(
    request: ConnectRequest,
    data: Uint8Array | undefined,
    state: Map<string, unknown>,
  ): Promise<AuthStep> {
    const exchange: Exchange = {
      stage: 'awaiting-client-first',
      connectUsername: request.username,
    };
    state.set(STATE_KEY, exchange);
    // No initial response in CONNECT: ask for client-first with an empty challenge.
    if (data === undefined || data.length === 0) return { done: false, data: new Uint8Array(0) };
    return this.onClientFirst(exchange, data);
  }

  async continue(data: Uint8Array | undefined, state: Map<string, unknown>): Promise<AuthStep> {
    const exchange = state.get(STATE_KEY) as Exchange | undefined;
    if (!exchange) return fail(ReasonCode.ProtocolError, 'other-error');
    if (exchange.stage === 'awaiting-client-first') return this.onClientFirst(exchange, data);
    state.delete(STATE_KEY); // one attempt per exchange
    return this.onClientFinal(exchange, data);
  }

  private async onClientFirst(exchange: Exchange, data: Uint8Array | undefined): Promise<AuthStep> {
    const first = parseClientFirst(Buffer.from(data ?? []).toString('utf8'));
    if (typeof first === 'string') return fail(ReasonCode.NotAuthorized, first);
    if (exchange.connectUsername !== undefined && exchange.connectUsername !== first.username) {
      return fail(ReasonCode.NotAuthorized, 'other-error');
    }
    const credential = (await this.lookup(first.username)) ?? this.decoy(first.username);
    const serverNonce = this.options.serverNonce?.() ?? base64(randomBytes(SERVER_NONCE_BYTES));
    const nonce = first.nonce + serverNonce;
    const serverFirst = `r=${nonce},s=${credential.salt},i=${credential.iterations}`;
    Object.assign(exchange, {
      stage: 'awaiting-client-final',
      first,
      serverFirst,
      nonce,
      credential,
    });
    return { done: false, data: Buffer.from(serverFirst) };
  }

  private async onClientFinal(exchange: Exchange, data: Uint8Array | undefined): Promise<AuthStep> {
    const final = parseClientFinal(Buffer.from(data ?? []).toString('utf8'));
    if (typeof final === 'string') return fail(ReasonCode.NotAuthorized, final);
    const { first, nonce, serverFirst, credential } = exchange as Required<Exchange>;
    // Without channel binding, "c=" is the base64 of the gs2 header the client started with.
    if (final.channelBinding !== base64(Buffer.from(first.gs2Header))) {
      return fail(ReasonCode.NotAuthorized, 'channel-bindings-dont-match');
    }
    if (final.nonce !== nonce) return fail(ReasonCode.NotAuthorized, 'other-error');
    const authMessage = `${first.bare},${serverFirst},${final.withoutProof}`;
    const storedKey = Buffer.from(credential.storedKey, 'base64');
    const signature = hmac(storedKey, authMessage);
    const clientKey = Buffer.from(final.proof.map((byte, i) => byte ^ signature[i]!));
    if (!timingSafeEqual(hash(clientKey), storedKey)) {
      return fail(ReasonCode.BadUserNameOrPassword, 'invalid-proof');
    }
    const serverSignature = hmac(Buffer.from(credential.serverKey, 'base64'), authMessage);
    return {
      done: true,
      result: { ok: true, username: first.username },
      data: Buffer.from(`v=${base64(serverSignature)}`),
    };
  }

  /** A credential no proof can match, for unknown users (RFC 5802 section 9). */
  private decoy(username: string): ScramCredential {
    const salt = createHmac('sha256', this.decoySecret).update(username).digest().subarray(0, 16);
    const key = base64(randomBytes(SCRAM_HASH_BYTES));
    return { salt: base64(salt), iterations: SCRAM_MIN_ITERATIONS, storedKey: key, serverKey: key };
  }
}

function readCredentials(raw: unknown, where: string): Map<string, ScramCredential> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AuthConfigError(where, 'expected an object of user name → credential');
  }
  const credentials = new Map<string, ScramCredential>();
  for (const [username, value] of Object.entries(raw)) {
    const item = value as Partial<ScramCredential>;
    const binary = [item?.salt, item?.storedKey, item?.serverKey];
    const sized = (text: unknown, bytes?: number) =>
      typeof text === 'string' &&
      (bytes === undefined || Buffer.from(text, 'base64').length === bytes);
    if (
      !binary.every((text) => sized(text)) ||
      !sized(item.storedKey, SCRAM_HASH_BYTES) ||
      !sized(item.serverKey, SCRAM_HASH_BYTES) ||
      !Number.isInteger(item.iterations) ||
      item.iterations! < 1
    ) {
      throw new AuthConfigError(
        `${where}: ${username}`,
        'expected {salt, iterations, storedKey, serverKey}',
      );
    }
    credentials.set(username, item as ScramCredential);
  }
  return credentials;
}
