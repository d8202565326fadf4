// An HTTP service decides: each check is a JSON POST to the configured URL, like EMQX's HTTP
// authentication and authorization. A 2xx answer with {"result": "allow" | "deny" | "ignore"}
// (or no body: allow) decides, a 4xx denies, and a 5xx, a timeout or a network failure counts
// as an error, settled by `onError`. Decisions are cached for a while; errors never are.
import { createHash } from 'node:crypto';
import type {
  AuthResult,
  Authenticator,
  Authorizer,
  ClientInfo,
  ConnectRequest,
  MessageRecord,
} from '../broker/ports.js';
import { ReasonCode } from '../protocol/constants.js';
import {
  type AccessVerdict,
  badCredentials,
  type DecidingAuthorizer,
  type Decision,
  type DenialLogger,
  describeClient,
  IGNORE,
  refuse,
  settle,
} from './decision.js';
import {
  AuthConfigError,
  type FactoryContext,
  optionalChoice,
  optionalInteger,
  readObject,
  requiredString,
} from './options.js';

export interface HttpHookOptions {
  url: string;
  /** Per request, in ms; default 5000. */
  timeoutMs?: number;
  /** How long a decision is reused, in ms; default 60000, 0 turns the cache off. */
  cacheTtlMs?: number;
  /** The cache's bound; the oldest entry goes first. Default 10000. */
  cacheMaxEntries?: number;
  /** What a failed request means; default 'deny'. */
  onError?: 'deny' | 'allow' | 'ignore';
  /** Extra request headers, e.g. an Authorization for the service. */
  headers?: Record<string, string>;
  /** The clock, in ms; tests set it. */
  now?: () => number;
  log?: DenialLogger;
}

/** What the service is asked: "connect" for authentication, else the access wanted. */
export interface HttpHookRequest {
  action: 'connect' | 'publish' | 'subscribe';
  clientId: string;
  username?: string;
  /** The MQTT Password as UTF-8 text; only for "connect". */
  password?: string;
  remoteAddress: string;
  protocolVersion: number;
  topic?: string;
  qos?: number;
  retain?: boolean;
}

export interface HttpHookAnswer {
  decision: Decision | 'error';
  /** The "attributes" object of an allowing answer to "connect". */
  attributes?: Record<string, unknown>;
  /** Why, for errors: "HTTP 503", "timeout". */
  detail?: string;
}

const MAX_BODY_CHARS = 65_536;
const HOOK_KEYS = ['url', 'timeoutMs', 'cacheTtlMs', 'cacheMaxEntries', 'onError', 'headers'];

/** Reads the answer of a 2xx response. */
function readAnswer(text: string): HttpHookAnswer {
  if (text.trim().length === 0) return { decision: 'allow' };
  if (text.length > MAX_BODY_CHARS) return { decision: 'error', detail: 'answer too large' };
  let body: { result?: unknown; attributes?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return { decision: 'error', detail: 'answer is not JSON' };
  }
  const result = body?.result;
  if (result !== 'allow' && result !== 'deny' && result !== 'ignore') {
    return { decision: 'error', detail: 'answer has no result allow, deny or ignore' };
  }
  const { attributes } = body;
  const valid = typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes);
  return valid
    ? { decision: result, attributes: attributes as Record<string, unknown> }
    : { decision: result };
}

/** The POST, the cache, and the sharing of identical requests in flight. */
export class HttpHook {
  private readonly cache = new Map<string, { answer: HttpHookAnswer; expires: number }>();
  private readonly inFlight = new Map<string, Promise<HttpHookAnswer>>();

  constructor(readonly options: HttpHookOptions) {}

  /** `extraKeys` are allowed and left to the caller (createAuth's switches). */
  static parseOptions(options: unknown, path: string, extraKeys: string[] = []): HttpHookOptions {
    const object = readObject(options, path, [...HOOK_KEYS, ...extraKeys]);
    const url = requiredString(object, 'url', path);
    if (!/^https?:\/\//.test(url)) {
      throw new AuthConfigError(`${path}.url`, 'expected an http:// or https:// URL');
    }
    const headers = object.headers;
    const isStrings = (value: object) => Object.values(value).every((v) => typeof v === 'string');
    if (headers !== undefined && (typeof headers !== 'object' || !headers || !isStrings(headers))) {
      throw new AuthConfigError(`${path}.headers`, 'expected an object of strings');
    }
    return {
      url,
      timeoutMs: optionalInteger(object, 'timeoutMs', path, 1, 600_000),
      cacheTtlMs: optionalInteger(object, 'cacheTtlMs', path, 0),
      cacheMaxEntries: optionalInteger(object, 'cacheMaxEntries', path, 1),
      onError: optionalChoice(object, 'onError', path, ['deny', 'allow', 'ignore'] as const),
      headers: headers as Record<string, string> | undefined,
    };
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** Asks the service; never throws. */
  async ask(request: HttpHookRequest): Promise<HttpHookAnswer> {
    const body = JSON.stringify(request);
    // Hashed, so the cache holds no passwords.
    const key = createHash('sha256').update(body).digest('base64');
    const now = this.options.now?.() ?? Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.answer;
    if (cached) this.cache.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.post(body).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const answer = await pending;
    if (answer.decision !== 'error') this.remember(key, answer, now);
    return answer;
  }

  private remember(key: string, answer: HttpHookAnswer, now: number): void {
    const ttl = this.options.cacheTtlMs ?? 60_000;
    if (ttl === 0) return;
    this.cache.delete(key);
    if (this.cache.size >= (this.options.cacheMaxEntries ?? 10_000)) {
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, { answer, expires: now + ttl });
  }

  /** One retry when a kept-alive connection turns out closed before any answer came. */
  private async post(body: string): Promise<HttpHookAnswer> {
    const answer = await this.postOnce(body);
    return answer.detail?.endsWith(STALE_CONNECTION) ? this.postOnce(body) : answer;
  }

  private async postOnce(body: string): Promise<HttpHookAnswer> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        redirect: 'error',
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return readAnswer(text);
      if (response.status >= 400 && response.status < 500) return { decision: 'deny' };
      return { decision: 'error', detail: `HTTP ${response.status}` };
    } catch (error) {
      return { decision: 'error', detail: describeFetchError(error) };
    }
  }
}

const STALE_CONNECTION = 'connection closed';

function describeFetchError(error: unknown): string {
  const { name, message, cause } = error as Error & { cause?: { code?: string; message?: string } };
  if (name === 'TimeoutError') return 'timeout';
  if (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET') {
    return `${message}: ${STALE_CONNECTION}`;
  }
  return cause?.message ? `${message}: ${cause.message}` : message;
}

/** Authentication by the HTTP service ("action": "connect"). */
export class HttpAuthenticator implements Authenticator {
  constructor(readonly hook: HttpHook) {}

  static fromConfig(options: unknown, context: FactoryContext = {}) {
    return new HttpAuthenticator(
      new HttpHook(HttpHook.parseOptions(options, context.path ?? 'auth.http')),
    );
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const answer = await this.hook.ask({
      action: 'connect',
      clientId: request.clientId,
      username: request.username,
      password: request.password && Buffer.from(request.password).toString('utf8'),
      remoteAddress: request.remoteAddress,
      protocolVersion: request.protocolVersion,
    });
    const decision =
      answer.decision === 'error' ? (this.hook.options.onError ?? 'deny') : answer.decision;
    if (decision === 'allow') {
      return {
        ok: true,
        username: request.username,
        attributes: answer.attributes && { http: answer.attributes },
      };
    }
    if (answer.decision === 'error' && decision === 'deny') {
      return refuse(
        ReasonCode.ServerUnavailable,
        `authentication service: ${answer.detail}`,
        false,
      );
    }
    return decision === 'deny'
      ? badCredentials('denied by the authentication service', true)
      : badCredentials('the authentication service has no opinion', false);
  }
}

/**
 * Authorization by the HTTP service ("action": "publish" / "subscribe"). Delivered messages are
 * not asked about one by one (decideRead abstains): the subscription was.
 */
export class HttpAuthorizer implements Authorizer, DecidingAuthorizer {
  readonly source = 'http';

  constructor(readonly hook: HttpHook) {}

  static fromConfig(options: unknown, context: FactoryContext = {}) {
    const hook = new HttpHook({
      ...HttpHook.parseOptions(options, context.path ?? 'auth.http'),
      log: context.log,
    });
    return new HttpAuthorizer(hook);
  }

  async decide(
    client: ClientInfo,
    action: 'publish' | 'subscribe',
    topic: string,
    message?: MessageRecord,
  ): Promise<AccessVerdict> {
    const answer = await this.hook.ask({
      action,
      clientId: client.clientId,
      username: client.username,
      remoteAddress: client.remoteAddress,
      protocolVersion: client.protocolVersion,
      topic,
      qos: message?.qos,
      retain: message?.retain,
    });
    if (answer.decision !== 'error')
      return { decision: answer.decision, rule: `http ${this.hook.options.url}` };
    const decision = this.hook.options.onError ?? 'deny';
    return { decision, rule: `http ${this.hook.options.url} failed: ${answer.detail}` };
  }

  decideRead(): AccessVerdict {
    return IGNORE;
  }

  authorizePublish(client: ClientInfo, topic: string, message: MessageRecord): Promise<boolean> {
    return this.settle(client, 'publish', topic, message);
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string): Promise<boolean> {
    return this.settle(client, 'subscribe', topicFilter);
  }

  private async settle(
    client: ClientInfo,
    action: 'publish' | 'subscribe',
    topic: string,
    message?: MessageRecord,
  ): Promise<boolean> {
    const verdict = await this.decide(client, action, topic, message);
    const denial = { ...describeClient(client), action, topic, source: this.source };
    return settle(verdict, 'deny', denial, this.hook.options.log);
  }
}
