// A WebSocket MQTT client in the page (MQTT.js): connect to the broker's WS listener,
// subscribe, publish with 5.0 properties, and watch messages arrive with theirs.
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Status } from '../api.js';
import { useField } from '../hooks.js';

interface Received {
  n: number;
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown>;
  at: number;
}

function defaultUrl(status: Status | undefined): string {
  const ws = status?.listeners.find((l) => l.type === 'ws' || l.type === 'wss');
  if (!ws) return `ws://${location.hostname}:8083/mqtt`;
  const host = ws.host === '0.0.0.0' || ws.host === '::' ? location.hostname : ws.host;
  return `${ws.type}://${host}:${ws.port}${ws.path ?? '/mqtt'}`;
}

/** "key=value" lines into MQTT.js user properties. */
function userProperties(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function shownProperties(p: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p ?? {})) {
    out[k] = v instanceof Uint8Array ? new TextDecoder().decode(v) : v;
  }
  return out;
}

export function WsClient() {
  const url = useField('');
  const clientId = useField(`culex-web-${Math.random().toString(16).slice(2, 10)}`);
  const username = useField();
  const password = useField();
  const [version, setVersion] = useState<4 | 5>(5);
  const [state, setState] = useState('disconnected');
  const [subs, setSubs] = useState<{ filter: string; qos: number }[]>([]);
  const [messages, setMessages] = useState<Received[]>([]);
  const client = useRef<MqttClient | null>(null);
  const counter = useRef(0);
  useEffect(() => {
    get<Status>('/status').then(
      (s) => url.set((u) => u || defaultUrl(s)),
      () => url.set((u) => u || defaultUrl(undefined)),
    );
    return () => client.current?.end(true);
  }, []);
  const connect = () => {
    client.current?.end(true);
    setState('connecting');
    const c = mqtt.connect(url.value, {
      clientId: clientId.value,
      username: username.value || undefined,
      password: password.value || undefined,
      protocolVersion: version,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    client.current = c;
    c.on('connect', () => setState('connected'));
    c.on('close', () => setState('disconnected'));
    c.on('error', (e) => setState(`error: ${e.message}`));
    c.on('message', (topic, payload, packet) => {
      const item: Received = {
        n: ++counter.current,
        topic,
        payload: new TextDecoder().decode(payload),
        qos: packet.qos,
        retain: packet.retain,
        properties: shownProperties(packet.properties as Record<string, unknown> | undefined),
        at: Date.now(),
      };
      setMessages((m) => [item, ...m].slice(0, 200));
    });
  };
  const subscribe = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const filter = String(data.get('filter'));
    const qos = Number(data.get('qos')) as 0 | 1 | 2;
    client.current?.subscribe(filter, { qos }, (err) => {
      if (err) setState(`subscribe failed: ${err.message}`);
      else setSubs((s) => [...s.filter((x) => x.filter !== filter), { filter, qos }]);
    });
  };
  const unsubscribe = (filter: string) =>
    client.current?.unsubscribe(filter, () => setSubs((s) => s.filter((x) => x.filter !== filter)));
  const publish = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(data.get(k) ?? '');
    const expiry = Number(text('expiry'));
    const options: IClientPublishOptions = {
      qos: Number(text('qos')) as 0 | 1 | 2,
      retain: data.get('retain') === 'on',
    };
    if (version === 5) {
      options.properties = {
        ...(text('contentType') ? { contentType: text('contentType') } : {}),
        ...(text('responseTopic') ? { responseTopic: text('responseTopic') } : {}),
        ...(text('correlationData')
          ? { correlationData: new TextEncoder().encode(text('correlationData')) as Buffer }
          : {}),
        ...(expiry > 0 ? { messageExpiryInterval: expiry } : {}),
        ...(userProperties(text('userProperties'))
          ? { userProperties: userProperties(text('userProperties')) }
          : {}),
      };
    }
    client.current?.publish(text('topic'), text('payload'), options, (err) => {
      if (err) setState(`publish failed: ${err.message}`);
    });
  };
  const connected = state === 'connected';
  return (
    <div class="wsclient">
      <section>
        <h3>Connection</h3>
        <div class="grid-form">
          <label>
            URL <input data-testid="ws-url" {...url.bind} />
          </label>
          <label>
            Client id <input data-testid="ws-client-id" {...clientId.bind} />
          </label>
          <label>
            Username <input {...username.bind} />
          </label>
          <label>
            Password <input type="password" {...password.bind} />
          </label>
          <label>
            MQTT
            <select
              value={String(version)}
              onChange={(e) => setVersion(Number((e.target as HTMLSelectElement).value) as 4 | 5)}
            >
              <option value="5">5.0</option>
              <option value="4">3.1.1</option>
            </select>
          </label>
        </div>
        <button type="button" onClick={connect} data-testid="ws-connect">
          Connect
        </button>{' '}
        <button type="button" onClick={() => client.current?.end()} disabled={!connected}>
          Disconnect
        </button>{' '}
        <span class={connected ? 'state ok' : 'state'} data-testid="ws-state">
          {state}
        </span>
      </section>
      <section>
        <h3>Subscriptions</h3>
        <form class="inline" onSubmit={subscribe}>
          <input name="filter" placeholder="Topic filter" required data-testid="ws-sub-filter" />
          <select name="qos">
            <option value="0">QoS 0</option>
            <option value="1">QoS 1</option>
            <option value="2">QoS 2</option>
          </select>
          <button type="submit" disabled={!connected} data-testid="ws-subscribe">
            Subscribe
          </button>
        </form>
        <ul class="plain" data-testid="ws-subscriptions">
          {subs.map((s) => (
            <li key={s.filter}>
              <code>{s.filter}</code> QoS {s.qos}{' '}
              <button type="button" class="link" onClick={() => unsubscribe(s.filter)}>
                Unsubscribe
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h3>Publish</h3>
        <form class="grid-form" onSubmit={publish}>
          <label>
            Topic <input name="topic" required data-testid="ws-pub-topic" />
          </label>
          <label>
            QoS
            <select name="qos">
              <option value="0">0</option>
              <option value="1">1</option>
              <option value="2">2</option>
            </select>
          </label>
          <label class="wide">
            Payload <textarea name="payload" rows={3} data-testid="ws-pub-payload" />
          </label>
          <label class="check">
            <input type="checkbox" name="retain" /> Retain
          </label>
          {version === 5 && (
            <>
              <label>
                Content type <input name="contentType" data-testid="ws-pub-content-type" />
              </label>
              <label>
                Response topic <input name="responseTopic" />
              </label>
              <label>
                Correlation data <input name="correlationData" />
              </label>
              <label>
                Expiry (s) <input name="expiry" type="number" min="0" />
              </label>
              <label class="wide">
                User properties (key=value per line){' '}
                <textarea name="userProperties" rows={2} data-testid="ws-pub-user-properties" />
              </label>
            </>
          )}
          <button type="submit" disabled={!connected} data-testid="ws-publish">
            Publish
          </button>
        </form>
      </section>
      <section>
        <h3>Messages ({messages.length})</h3>
        <ul class="messages" data-testid="ws-messages">
          {messages.map((m) => (
            <li key={m.n} data-topic={m.topic}>
              <div>
                <code>{m.topic}</code> QoS {m.qos}
                {m.retain ? ' retained' : ''} · {new Date(m.at).toLocaleTimeString()}
              </div>
              <pre>{m.payload}</pre>
              {Object.keys(m.properties).length > 0 && (
                <pre class="props">{JSON.stringify(m.properties)}</pre>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
