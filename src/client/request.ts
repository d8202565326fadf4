// Request/response (5.0 section 4.10): the request carries a Response Topic and Correlation
// Data; the responder publishes its answer there with the same Correlation Data.
import { ProtocolVersion, type QoS } from '../protocol/constants.js';
import type { Properties } from '../protocol/packets.js';
import type { Message, MqttClient, PublishOptions } from './client.js';
import { MqttClientError } from './errors.js';

export interface RequestOptions {
  /** ms to wait for the response; default 10 000. */
  timeout?: number;
  qos?: QoS;
  /** Where responses are sent; default a topic unique to this client, subscribed on first use. */
  responseTopic?: string;
  properties?: Properties;
}

interface Pending {
  resolve(message: Message): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export class Requester {
  readonly #pending = new Map<string, Pending>();
  readonly #subscribed = new Map<string, Promise<unknown>>();
  readonly #token = Math.random().toString(36).slice(2, 12);
  #counter = 0;

  constructor(private readonly client: MqttClient) {}

  async request(topic: string, payload: string | Uint8Array | undefined, options: RequestOptions) {
    if (this.client.protocolVersion !== ProtocolVersion.V5) {
      throw new MqttClientError('UNSUPPORTED', 'Request/response needs MQTT 5.0');
    }
    const responseTopic = options.responseTopic ?? `culex/response/${this.#token}`;
    await this.#listen(responseTopic);
    const correlationData = this.#nextCorrelation();
    const key = hex(correlationData);
    const timeout = options.timeout ?? 10_000;
    const reply = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(
          new MqttClientError(
            'REQUEST_TIMEOUT',
            `No response on '${responseTopic}' within ${timeout} ms`,
          ),
        );
      }, timeout);
      this.#pending.set(key, { resolve, reject, timer });
    });
    reply.catch(() => {}); // settled below or by failAll; never left unhandled
    const properties = { ...options.properties, responseTopic, correlationData };
    try {
      await this.client.publish(topic, payload, { qos: options.qos ?? 0, properties });
    } catch (error) {
      this.#settle(key)?.reject(error as Error);
    }
    return reply;
  }

  respond(request: Message, payload: string | Uint8Array | undefined, options: PublishOptions) {
    const { responseTopic, correlationData } = request.properties;
    if (!responseTopic) {
      return Promise.reject(
        new MqttClientError('INVALID_ARGUMENT', 'The message has no Response Topic'),
      );
    }
    const properties = { ...options.properties, correlationData };
    return this.client.publish(responseTopic, payload, { ...options, properties });
  }

  failAll(error: Error): void {
    for (const key of [...this.#pending.keys()]) this.#settle(key)?.reject(error);
  }

  /** Subscribes once per response topic. */
  #listen(responseTopic: string): Promise<unknown> {
    let subscribed = this.#subscribed.get(responseTopic);
    if (!subscribed) {
      subscribed = this.client.subscribe(responseTopic, { qos: 1 });
      subscribed.catch(() => this.#subscribed.delete(responseTopic));
      this.#subscribed.set(responseTopic, subscribed);
    }
    return subscribed;
  }

  /**
   * Called by the client for every message, before listeners: not a 'message' listener
   * itself, so that a pending request does not take the messages held for the application.
   */
  onMessage(message: Message): void {
    const data = message.properties.correlationData;
    if (!data || this.#pending.size === 0) return;
    this.#settle(hex(data))?.resolve(message);
  }

  #settle(key: string): Pending | undefined {
    const pending = this.#pending.get(key);
    if (!pending) return undefined;
    this.#pending.delete(key);
    clearTimeout(pending.timer);
    return pending;
  }

  #nextCorrelation(): Uint8Array {
    const id = ++this.#counter;
    const bytes = new Uint8Array(14);
    for (let i = 0; i < 10; i++) bytes[i] = this.#token.charCodeAt(i) || 0;
    new DataView(bytes.buffer).setUint32(10, id >>> 0);
    return bytes;
  }
}
