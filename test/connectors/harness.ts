// Shared by the connector tests: quiet deps, a webhook target (a Node http server that can be
// stopped and started again on its port), and the outage-under-load check every target runs.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector, ConnectorDeps, IngressMessage, Sink } from '../../src/connectors/index.js';
import { waitFor } from '../admin/helpers.js';

export { waitFor };

export interface TestDeps extends ConnectorDeps {
  ingressed: { connector: string; message: IngressMessage }[];
  warnings: object[];
}

export function testDeps(dataDir?: string): TestDeps {
  const ingressed: TestDeps['ingressed'] = [];
  const warnings: object[] = [];
  return {
    dataDir,
    ingressed,
    warnings,
    log: { info() {}, warn: (o) => warnings.push(o), error: (o) => warnings.push(o) },
    ingress: (connector, message) => ingressed.push({ connector, message }),
  };
}

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'culex-conn-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface WebhookRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook target; `answer` decides each response (status, delay). Stoppable and restartable. */
export class Webhook {
  readonly requests: WebhookRequest[] = [];
  answer: (request: WebhookRequest) => { status: number; delayMs?: number } = () => ({
    status: 200,
  });
  #server: Server | undefined;
  port = 0;

  static async start(): Promise<Webhook> {
    const hook = new Webhook();
    await hook.listen();
    return hook;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Bodies of the requests answered 2xx, batches unpacked. */
  accepted(): unknown[] {
    return this.requests.flatMap((r) => {
      const value = JSON.parse(r.body) as unknown;
      return Array.isArray(value) ? value : [value];
    });
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = {
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        const { status, delayMs = 0 } = this.answer(request);
        setTimeout(() => {
          if (status < 300) this.requests.push(request);
          res.writeHead(status).end();
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export interface Outage {
  sink: Sink;
  /** The sink's connector: seen disconnected after the stop, connected again at the end. */
  connector?: Connector;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The sequence numbers the target holds, in the order it got them. */
  received(): Promise<number[]>;
  downMs?: number;
  /** Records pushed per 10 ms tick. */
  perTick?: number;
  /** The record carrying sequence number `seq`; default {seq}. */
  record?: (seq: number) => Record<string, unknown>;
}

const tick = () => new Promise((r) => setTimeout(r, 10));

/**
 * A steady stream of pushes ({seq}) while the target runs, is stopped for `downMs` (10 s),
 * and comes back: every record arrives, in order (a retried batch may arrive twice: at least
 * once), and nothing is dropped.
 */
export async function outageUnderLoad(outage: Outage): Promise<{ pushed: number }> {
  const { sink, perTick = 5, downMs = 10_000, record = (seq) => ({ seq }) } = outage;
  let seq = 0;
  let pushing = true;
  const load = (async () => {
    while (pushing) {
      for (let i = 0; i < perTick; i++) sink.push(record(seq++), 'rule/topic');
      await tick();
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await outage.stop();
  const { connector } = outage;
  if (connector) {
    await waitFor(() => connector.status() !== 'connected', 5_000, 'status not connected');
  }
  await new Promise((r) => setTimeout(r, downMs));
  assert.ok(sink.counters.queued > 0, 'records wait in the buffer while the target is down');
  await outage.start();
  await new Promise((r) => setTimeout(r, 300));
  pushing = false;
  await load;
  const pushed = seq;
  const all = async () => new Set(await outage.received()).size >= pushed;
  await waitFor(all, 20_000).catch((error) => {
    throw new Error(`not all ${pushed} records arrived: ${JSON.stringify(sink.counters)}`, {
      cause: error,
    });
  });
  const received = await outage.received();
  assertAllInOrder(received, pushed);
  assert.deepEqual(sink.counters.dropped, {});
  await waitFor(() => sink.counters.success >= pushed, 5_000, 'success counted');
  if (connector) {
    assert.equal(connector.status(), 'connected');
    assert.ok(connector.counters.disconnects >= 1);
  }
  return { pushed };
}

/** 0..count-1 each there, first arrivals in order (duplicates of a retried batch allowed). */
export function assertAllInOrder(received: readonly number[], count: number): void {
  const seen = new Set<number>();
  const firsts: number[] = [];
  for (const n of received) {
    if (seen.has(n)) continue;
    seen.add(n);
    firsts.push(n);
  }
  assert.equal(firsts.length, count, `all ${count} records arrived`);
  for (let i = 0; i < firsts.length; i++) {
    if (firsts[i] !== i) assert.fail(`record ${firsts[i]} arrived where ${i} was due`);
  }
}
