// Shared by the admin tests: a real broker on loopback ports with its HTTP API, an API caller,
// MQTT.js clients that are always ended, and a wait-until helper with a deadline.
import { after } from 'node:test';
import mqtt from 'mqtt';
import type { AdminHttpOptions } from '../../src/admin/index.js';
import { type CreateBrokerOptions, type CulexServer, createBroker } from '../../src/server.js';

export const API_KEY = 'test-key-0123456789';

export interface Harness {
  server: CulexServer;
  base: string;
  mqttUrl: string;
  wsUrl: string;
  /** Calls the API with the test key (or `auth`: a bearer credential, or null for none). */
  api(
    method: string,
    path: string,
    body?: unknown,
    auth?: string | null,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies, checked field by field by the tests
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  connect(clientId: string, options?: mqtt.IClientOptions): Promise<mqtt.MqttClient>;
}

export async function startHarness(
  options: Omit<Partial<CreateBrokerOptions>, 'http'> & { http?: Partial<AdminHttpOptions> } = {},
): Promise<Harness> {
  const { http, ...rest } = options;
  const server = await createBroker({
    listeners: [
      { type: 'tcp', port: 0, host: '127.0.0.1' },
      { type: 'ws', port: 0, host: '127.0.0.1', path: '/mqtt' },
    ],
    ...rest,
    http: {
      port: 0,
      host: '127.0.0.1',
      apiKeys: [{ name: 'tests', key: API_KEY }],
      users: [{ username: 'admin', password: 'secret-pw' }],
      dashboardDir: false,
      ...http,
    },
  });
  const clients: mqtt.MqttClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    await server.close();
  });
  const base = server.admin!.url;
  return {
    server,
    base,
    mqttUrl: `mqtt://127.0.0.1:${server.address('tcp').port}`,
    wsUrl: `ws://127.0.0.1:${server.address('ws').port}/mqtt`,
    async api(method, path, body, auth = API_KEY) {
      const headers: Record<string, string> = {};
      if (auth !== null) headers.authorization = `Bearer ${auth}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    async connect(clientId, opts = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.address('tcp').port}`, {
        clientId,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...opts,
      });
      clients.push(client);
      return client;
    },
  };
}

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  ms = 3000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next message a client receives on any topic, within `ms`. */
export function nextMessage(
  client: mqtt.MqttClient,
  ms = 3000,
): Promise<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error('no message arrived'));
    }, ms);
    const onMessage = (topic: string, payload: Buffer, packet: mqtt.IPublishPacket) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload, packet });
    };
    client.on('message', onMessage);
  });
}
