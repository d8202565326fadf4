// Serves the built dashboard (dist/dashboard) at /: hashed assets cached for good, index.html
// for every other page path so that client-side routes survive a reload.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './routes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  // MQTT.js keeps its keep-alive timers in a worker made from a blob: (background tabs
  // throttle page timers); nothing else may start one.
  "worker-src 'self' blob:",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/src/admin/static.js → dist/dashboard/ */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

export function dashboardRoutes(app: FastifyInstance, dir: string): void {
  const root = normalize(dir);
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodeURIComponent(request.url.split('?')[0]!);
    if (path.startsWith('/api/') || path === '/metrics')
      throw new HttpError(404, `no route ${request.method} ${path}`);
    const asset = path.startsWith('/assets/') || /\.\w+$/.test(path);
    const file = normalize(join(root, asset ? path : 'index.html'));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep))
      throw new HttpError(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      if (!asset) throw new HttpError(503, 'the dashboard is not built: run `npm run build`');
      throw new HttpError(404, `no file ${path}`);
    }
    reply
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .header(
        'cache-control',
        path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    return body;
  };
  const route = { config: { public: true }, handler: serve };
  app.get('/', route);
  app.get('/*', route);
}
