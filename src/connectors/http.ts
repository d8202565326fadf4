// HTTP webhook connector: each record (or a batch of them, as one JSON array) is one request;
// only a 2xx answer counts as delivered. Unreachable: retried while it lasts; 408, 429, 5xx
// and timeouts: retried maxRetries times; any other answer: the records are refused.
import { createConnection } from 'node:net';
import { ConnectorBase, isConnectionError } from './base.js';
import {
  type Settings,
  fail,
  readInt,
  readOneOf,
  readString,
  readStringMap,
  readUrl,
} from './config.js';
import { Rejected, type SinkWriter, TargetDown } from './delivery.js';
import { type Template, template } from './template.js';
import type { ConnectorConfig, ConnectorDeps } from './types.js';

const CONNECTOR_KEYS = ['name', 'type', 'url', 'headers', 'timeoutMs'];
const SINK_KEYS = ['method', 'path', 'url', 'headers', 'body'];
const METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'] as const;
const RETRIED_STATUS = new Set([408, 429]);

/** One request's worth: the body, and the URL and headers when they are templates. */
interface HttpRecord {
  body: string;
  url?: string;
  headers?: Record<string, string>;
}

export class HttpConnector extends ConnectorBase {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(config: ConnectorConfig, deps: ConnectorDeps) {
    super(config, 'http', deps, CONNECTOR_KEYS);
    const where = this.where;
    this.#url = readUrl(config, 'url', where, ['http:', 'https:']);
    this.#headers = readStringMap(config, 'headers', where);
    this.#timeoutMs = readInt(config, 'timeoutMs', where, {
      min: 1,
      max: 3_600_000,
      fallback: 5_000,
    });
    this.#probe();
  }

  protected readonly sinkKeys = SINK_KEYS;
  protected override readonly defaultBatchSize = 1;

  protected writer(settings: Settings, where: string): SinkWriter<HttpRecord> {
    const method = readOneOf(settings, 'method', where, METHODS, 'POST');
    const target = this.#target(settings, where);
    const headers = Object.entries({
      ...this.#headers,
      ...readStringMap(settings, 'headers', where),
    });
    const headerTemplates = headers.map(
      ([name, value]) => [name, template(value, where, `headers.${name}`)] as const,
    );
    const templated =
      target.fields.length > 0 || headerTemplates.some(([, t]) => t.fields.length > 0);
    const batched = ((settings.batchSize as number | undefined) ?? 1) > 1;
    if (batched && templated) {
      fail(
        where,
        'with batchSize > 1, url, path and headers cannot hold ${...} (one request per batch)',
      );
    }
    const body = template(readString(settings, 'body', where) ?? '${.}', where, 'body');
    const fixed = { url: target.render({}), headers: Object.fromEntries(headers) };
    return {
      prepare: (output) => {
        const record: HttpRecord = { body: body.render(output) };
        if (templated) {
          record.url = target.render(output);
          record.headers = Object.fromEntries(
            headerTemplates.map(([n, t]) => [n, t.render(output)]),
          );
        }
        return record;
      },
      write: async (batch) => {
        const first = batch[0]!;
        const text = batch.length === 1 && !batched ? first.body : jsonArray(batch);
        await this.#request(method, first.url ?? fixed.url, first.headers ?? fixed.headers, text);
        return undefined;
      },
    };
  }

  /** The request URL: `url` (absolute) or the connector's URL with `path` appended. */
  #target(settings: Settings, where: string): Template {
    const url = readString(settings, 'url', where);
    const path = readString(settings, 'path', where);
    if (url !== undefined && path !== undefined) fail(where, 'give url or path, not both');
    if (url !== undefined) {
      if (!/^https?:\/\//.test(url)) fail(where, 'url must start with http:// or https://');
      return template(url, where, 'url');
    }
    const base = this.#url.href.replace(/\/$/, '');
    if (path === undefined) return template(this.#url.href, where, 'url');
    return template(`${base}${path.startsWith('/') ? '' : '/'}${path}`, where, 'path');
  }

  async #request(method: string, url: string, headers: Record<string, string>, body: string) {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: withContentType(headers),
        body: method === 'GET' ? undefined : body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      if (isConnectionError(error)) {
        this.connectionLost(error);
        throw new TargetDown(`${url}: ${describeCause(error)}`, { cause: error });
      }
      throw new Error(`${url}: ${describeCause(error)}`, { cause: error });
    }
    this.setStatus('connected');
    await response.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
    if (response.ok) return;
    const problem = `${url} answered ${response.status}`;
    if (response.status >= 500 || RETRIED_STATUS.has(response.status)) throw new Error(problem);
    throw new Rejected(problem);
  }

  /** The status before the first request: can the host's port be reached at all? */
  #probe(): void {
    const port = Number(this.#url.port) || (this.#url.protocol === 'https:' ? 443 : 80);
    const socket = createConnection({ host: this.#url.hostname.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(this.#timeoutMs);
    socket.once('connect', () => {
      if (this.status() === 'connecting') this.setStatus('connected');
      socket.destroy();
    });
    const down = (error?: Error) => {
      if (this.status() === 'connecting') this.connectionLost(error);
      socket.destroy();
    };
    socket.once('error', down);
    socket.once('timeout', () => down(new Error('connect timeout')));
  }

  protected async disconnect(): Promise<void> {}
}

function withContentType(headers: Record<string, string>): Record<string, string> {
  const given = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  return given ? headers : { 'content-type': 'application/json', ...headers };
}

/** A batch as one JSON array: bodies that are JSON go in as values, others as strings. */
function jsonArray(batch: readonly HttpRecord[]): string {
  return `[${batch.map((r) => (isJson(r.body) ? r.body : JSON.stringify(r.body))).join(',')}]`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return cause instanceof Error
    ? cause.message
    : error instanceof Error
      ? error.message
      : String(error);
}
