// JWT keys from a JWKS endpoint (jose's createRemoteJWKSet): fetched over HTTP(S), cached for
// `cacheMaxAgeMs`, fetched again when a token names an unknown key id (at most once per
// `cooldownMs`), each fetch bounded in time and size. A failed fetch is a SourceError, told
// apart from a bad token so that the onError policy decides.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import { SourceError, type SourceStats } from './lookup.js';

export interface RemoteKeySetOptions {
  url: string;
  /** PEM CA certificates to trust for an https:// endpoint, besides the system's. */
  ca?: string;
  timeoutMs?: number;
  /** Default 10 minutes. */
  cacheMaxAgeMs?: number;
  /** Default 30 s. */
  cooldownMs?: number;
}

/** A JWKS larger than this is refused: a key set has a handful of keys. */
export const MAX_JWKS_BYTES = 1 << 20;

/** fetch() for jose: node's http(s) with the configured CA and a bounded body. */
function boundedFetch(ca: string | undefined, stats: SourceStats) {
  return (url: string, init: { signal?: AbortSignal; headers?: HeadersInit }) =>
    new Promise<Response>((resolve, reject) => {
      const started = performance.now();
      stats.queries++;
      const request = url.startsWith('https:') ? httpsRequest : httpRequest;
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = request(url, { method: 'GET', headers, ca, signal: init.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_JWKS_BYTES)
            req.destroy(new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const seconds = (performance.now() - started) / 1000;
          stats.latencySecondsSum += seconds;
          stats.latencySecondsMax = Math.max(stats.latencySecondsMax, seconds);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
}

/** Errors that say the token is wrong, not the endpoint. */
const TOKEN_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JWSInvalid];

export function remoteKeySet(options: RemoteKeySetOptions, stats: SourceStats): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(options.url), {
    timeoutDuration: options.timeoutMs ?? 5_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    [customFetch]: boundedFetch(options.ca, stats),
  });
  return async (header, token) => {
    const queries = stats.queries;
    try {
      return await keySet(header, token);
    } catch (error) {
      if (TOKEN_ERRORS.some((type) => error instanceof type)) throw error;
      throw new SourceError(`JWKS ${options.url}: ${(error as Error).message}`);
    } finally {
      if (stats.queries === queries) stats.cacheHits++;
    }
  };
}
