// POST /api/v1/rules/test: a rule's SQL run against a sample message or event, with the
// fields the caller gives over EMQX-like defaults. No actions run and no counter moves.
import { compileRule } from '../sql/index.js';
import { topicMatches } from '../topic/index.js';
import { EVENT_PREFIX } from './events.js';
import { type Fields, jsonText } from './fields.js';
import { BRIDGE_PREFIX, parseSource } from './registry.js';

export interface RuleTestRequest {
  sql: string;
  /** Fields of the sample input (topic, payload, clientid …); defaults fill the rest. */
  context?: Fields;
}

/** Outputs as JSON would show them (payload bytes as text). */
export function testRule(request: RuleTestRequest, node: string): { outputs: Fields[] } {
  if (typeof request?.sql !== 'string' || request.sql === '')
    throw new Error("'sql' must be a string: the rule's SQL");
  const given = request.context;
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given)))
    throw new Error("'context' must be a mapping of input fields to values");
  const compiled = compileRule(request.sql);
  const sources = compiled.sources.map(parseSource);
  const context = request.context ?? {};
  const input = { ...sampleFor(compiled.sources[0] ?? '', node), ...context };
  const topic = input.topic;
  // A message must come from one of the FROM sources, as it would in the broker.
  const fits = sources.some(
    (s) => s.kind !== 'topic' || (typeof topic === 'string' && topicMatches(s.filter, topic)),
  );
  if (!fits)
    throw new Error(
      `topic ${JSON.stringify(topic)} matches no FROM of the rule: ${compiled.sources.join(', ')}`,
    );
  const outputs = compiled.evaluate(input);
  return { outputs: JSON.parse(jsonText(outputs)) as Fields[] };
}

/** EMQX's sample fields for a source (as its rule tester fills them). */
function sampleFor(source: string, node: string): Fields {
  const now = Date.now();
  const base: Fields = {
    clientid: 'c_emqx',
    username: 'u_emqx',
    peerhost: '127.0.0.1',
    timestamp: now,
    node,
  };
  if (source.startsWith(EVENT_PREFIX)) {
    const event = source.slice(EVENT_PREFIX.length);
    return { ...base, event: event.replace('_', '.'), ...EVENT_SAMPLES[event] };
  }
  const message: Fields = {
    ...base,
    id: '0005E27C1D24E44FF440000017520000',
    payload: '{"msg":"hello"}',
    topic: source.includes('+') || source.includes('#') ? 't/a' : source,
    qos: 1,
    flags: { retain: false, dup: false },
    pub_props: {},
    publish_received_at: now,
    event: 'message.publish',
  };
  if (source.startsWith(BRIDGE_PREFIX)) message.topic = 't/a';
  return message;
}

const MESSAGE_SAMPLE: Fields = {
  id: '0005E27C1D24E44FF440000017520000',
  payload: '{"msg":"hello"}',
  topic: 't/a',
  qos: 1,
  flags: { retain: false, dup: false },
  pub_props: {},
  from_clientid: 'c_emqx_1',
  from_username: 'u_emqx_1',
};

const EVENT_SAMPLES: Record<string, Fields> = {
  client_connected: {
    peername: '127.0.0.1:52918',
    proto_name: 'MQTT',
    proto_ver: 5,
    keepalive: 60,
    clean_start: true,
    expiry_interval: 3600,
    is_bridge: false,
    connected_at: Date.now(),
    conn_props: {},
  },
  client_disconnected: { reason: 'normal', peername: '127.0.0.1:52918', disconnected_at: 0 },
  client_connack: { reason_code: 'success', peername: '127.0.0.1:52918', proto_ver: 5 },
  client_check_authn_complete: { reason_code: 'success', is_anonymous: false, is_superuser: false },
  client_check_authz_complete: {
    topic: 't/a',
    action: 'publish',
    authz_source: 'default',
    result: 'allow',
  },
  session_subscribed: { topic: 't/#', qos: 1, sub_props: {} },
  session_unsubscribed: { topic: 't/#', unsub_props: {} },
  message_delivered: MESSAGE_SAMPLE,
  message_acked: { ...MESSAGE_SAMPLE, puback_props: {} },
  message_dropped: { ...MESSAGE_SAMPLE, reason: 'no_subscribers' },
  delivery_dropped: { ...MESSAGE_SAMPLE, reason: 'queue_full' },
};
