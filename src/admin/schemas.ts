// JSON schemas shared by the routes: inputs are closed (unknown fields are refused).
import type { Schema } from './routes.js';

export const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? { required } : {}),
});

export const str = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const int = (min: number, max: number, description?: string): Schema => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  ...(description ? { description } : {}),
});
export const bool = (description?: string): Schema => ({
  type: 'boolean',
  ...(description ? { description } : {}),
});
export const qos: Schema = { type: 'integer', enum: [0, 1, 2], description: 'QoS 0, 1 or 2' };
const nullable = (s: Schema): Schema => ({ ...s, nullable: true });

export const BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

export const pageQuery = {
  limit: { ...int(1, 1000, 'Items per page (default 50)'), default: 50 },
  cursor: str('The nextCursor of the previous page', { minLength: 1, maxLength: 2000 }),
  order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
};

export const page = (item: Schema): Schema => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    total: { type: 'integer', description: 'Items matching the filter, all pages together' },
    nextCursor: nullable(str('Cursor of the next page; null on the last page')),
  },
});

export const clientId = str('Client identifier', { minLength: 1, maxLength: 65535 });

export const properties: Schema = obj({
  payloadFormatIndicator: { type: 'integer', enum: [0, 1] },
  messageExpiryInterval: int(0, 0xffffffff, 'Seconds'),
  contentType: str(),
  responseTopic: str(undefined, { minLength: 1 }),
  correlationData: str('base64', { pattern: BASE64 }),
  userProperties: {
    type: 'array',
    maxItems: 100,
    description: 'Name/value pairs',
    items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } },
  },
});

const messageProps = {
  ...(properties.properties as Record<string, Schema>),
  subscriptionIdentifiers: { type: 'array', items: { type: 'integer' } },
};

export const clientSummary: Schema = {
  type: 'object',
  properties: {
    clientId: str(),
    connected: bool(),
    username: nullable(str()),
    ip: nullable(str()),
    port: nullable(int(0, 65535)),
    transport: nullable(str('tcp, tls, ws or wss')),
    protocolVersion: int(3, 5, '3: MQTT 3.1, 4: 3.1.1, 5: 5.0'),
    keepAlive: nullable(int(0, 65535, 'Seconds')),
    connectedAt: nullable(int(0, Number.MAX_SAFE_INTEGER, 'ms since the epoch')),
    disconnectedAt: nullable(int(0, Number.MAX_SAFE_INTEGER, 'ms since the epoch')),
    subscriptions: { type: 'integer' },
    inflight: { type: 'integer' },
    queued: { type: 'integer' },
    messagesIn: { type: 'integer', description: 'PUBLISH packets received' },
    messagesOut: { type: 'integer', description: 'PUBLISH packets sent' },
    bytesIn: { type: 'integer' },
    bytesOut: { type: 'integer' },
  },
};

export const subscription: Schema = {
  type: 'object',
  properties: {
    clientId: str(),
    topicFilter: str(),
    qos,
    noLocal: bool(),
    retainAsPublished: bool(),
    retainHandling: { type: 'integer', enum: [0, 1, 2] },
    subscriptionIdentifier: nullable({ type: 'integer' }),
    connected: bool(),
  },
};

export const clientDetail: Schema = {
  type: 'object',
  properties: {
    ...(clientSummary.properties as Record<string, Schema>),
    sessionExpiryInterval: int(0, 0xffffffff, 'Seconds'),
    subscriptionList: { type: 'array', items: subscription },
  },
};

export const session: Schema = {
  type: 'object',
  properties: {
    clientId: str(),
    protocolVersion: { type: 'integer' },
    expiryInterval: { type: 'integer' },
    disconnectedAt: nullable({ type: 'integer' }),
    expiresAt: nullable({ type: 'integer', description: 'null: never' }),
    subscriptions: { type: 'integer' },
    inflight: { type: 'integer' },
    queued: { type: 'integer' },
  },
};

export const payloadView: Schema = {
  type: 'object',
  properties: {
    text: nullable(str('UTF-8 text, null when the payload is not valid UTF-8')),
    base64: str(),
    size: { type: 'integer' },
    truncated: bool(),
  },
};

export const retainedSummary: Schema = {
  type: 'object',
  properties: {
    topic: str(),
    qos,
    size: { type: 'integer' },
    expiresAt: nullable({ type: 'integer' }),
    preview: nullable(str()),
  },
};

export const retainedDetail: Schema = {
  type: 'object',
  properties: {
    ...(retainedSummary.properties as Record<string, Schema>),
    payload: payloadView,
    properties: { type: 'object', properties: messageProps },
  },
};

export const traceEvent: Schema = {
  type: 'object',
  properties: {
    ts: { type: 'integer' },
    clientId: nullable(str('Publisher; null for the broker and the API')),
    username: nullable(str()),
    topic: str(),
    qos,
    retain: bool(),
    payload: payloadView,
    properties: { type: 'object', properties: messageProps },
  },
};

export const ban: Schema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['clientId', 'username', 'ip'] },
    value: str(),
    reason: str(),
    createdAt: { type: 'integer' },
    until: { type: 'integer', description: 'ms since the epoch; absent: never expires' },
  },
};

const count = (description?: string): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
});

export const clusterNodes: Schema = {
  type: 'object',
  properties: {
    node: str('The node asked'),
    linked: bool('Whether the node asked is linked to NATS'),
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: str(),
          state: { type: 'string', enum: ['up', 'silent'] },
          lastHeard: count('ms since its last heartbeat reached the node asked'),
          startedAt: count('ms since the epoch, by its clock'),
          uptimeSeconds: count('Since startedAt, by the clock of the node asked'),
          figures: {
            type: 'object',
            properties: {
              connections: count(),
              clients: count(),
              sessions: count(),
              subscriptions: count(),
              messagesReceived: count('PUBLISH packets received from its clients'),
              messagesSent: count('PUBLISH packets sent to its clients'),
            },
          },
        },
      },
    },
  },
};
