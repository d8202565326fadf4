// What a rule does with each output: republish it (topic, payload and user properties as
// `${...}` templates), log it, or hand it to a connector's sink. An action never throws and
// never waits: sinks queue, republish routes synchronously.
import type { Logger } from '../broker/hooks.js';
import type { Connector, Sink } from '../connectors/index.js';
import type { UserProperty } from '../protocol/packets.js';
import { compileTemplate, type Template } from '../sql/index.js';
import { Rendered } from './rendered.js';
import type { ActionConfig, RepublishAction, SinkAction } from './config.js';
import { type Fields, jsonText } from './fields.js';
import type { ActionCounters } from './metrics.js';

export interface Republisher {
  /** Publishes as the broker, under the engine's loop guard; false when the guard refused. */
  republish(
    topic: string,
    payload: Uint8Array,
    qos: 0 | 1 | 2,
    retain: boolean,
    userProperties: UserProperty[] | undefined,
  ): boolean;
}

export interface ActionContext {
  ruleId: string;
  index: number;
  log: Logger;
  republisher: Republisher;
  connector(name: string): Connector | undefined;
}

export interface Action {
  readonly config: ActionConfig;
  /** Never throws: a failure is counted. */
  run(output: Fields): void;
  counters(): ActionCounters;
  reset(): void;
  close(): Promise<void>;
}

/** Makes an action; throws an Error naming the problem (unknown connector, bad sink keys). */
export function makeAction(config: ActionConfig, context: ActionContext): Action {
  if (config.type === 'republish') return new RepublishRun(config, context);
  if (config.type === 'console') return new ConsoleRun(config, context);
  return new SinkRun(config, context);
}

class Counted {
  protected readonly count: ActionCounters = { success: 0, failed: 0, dropped: 0, queued: 0 };

  counters(): ActionCounters {
    return { ...this.count };
  }

  reset(): void {
    this.count.success = this.count.failed = this.count.dropped = this.count.queued = 0;
  }

  async close(): Promise<void> {}
}

class RepublishRun extends Counted implements Action {
  private readonly topic: Rendered<string>;
  private readonly payload: Rendered<Buffer> | undefined;
  private readonly userProperties: [string, Template][];
  private readonly qos: 0 | 1 | 2;
  private readonly retain: boolean;

  constructor(
    readonly config: RepublishAction,
    private readonly context: ActionContext,
  ) {
    super();
    this.topic = new Rendered(compileTemplate(config.topic), checkedTopic);
    this.payload =
      config.payload === undefined
        ? undefined
        : new Rendered(compileTemplate(config.payload), payloadBytes);
    this.userProperties = Object.entries(config.userProperties ?? {}).map(([k, v]) => [
      k,
      compileTemplate(v),
    ]);
    this.qos = config.qos ?? 0;
    this.retain = config.retain ?? false;
  }

  run(output: Fields): void {
    const topic = this.topic.get(output);
    if (topic === undefined) {
      this.count.failed++;
      const rendered = this.topic.template.render(output);
      this.context.log.warn(
        { rule: this.context.ruleId, topic: rendered },
        'republish: invalid topic',
      );
      return;
    }
    const payload =
      this.payload === undefined ? Buffer.from(jsonText(output)) : this.payload.get(output)!;
    const props =
      this.userProperties.length === 0
        ? undefined
        : this.userProperties.map(([k, t]): UserProperty => [k, t.render(output)]);
    if (this.context.republisher.republish(topic, payload, this.qos, this.retain, props))
      this.count.success++;
    else this.count.dropped++;
  }
}

/**
 * The rendered topic, or undefined when no PUBLISH could carry it: refused as the broker would
 * [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-4.7.1-1] [MQTT-1.5.4-1].
 */
function checkedTopic(template: Template, output: Fields): string | undefined {
  const topic = template.render(output);
  return isTopicName(topic) ? topic : undefined;
}

/**
 * The payload: the bytes themselves for a template that is one placeholder of bytes
 * (`${payload}`), else the text's UTF-8. Bytes kept across messages get a memory block of
 * their own, so that they pin no shared pool and a queued message need not copy them.
 */
function payloadBytes(template: Template, output: Fields, kept: boolean): Buffer {
  if (!kept) return template.renderBytes(output);
  const text = template.render(output);
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

class ConsoleRun extends Counted implements Action {
  constructor(
    readonly config: ActionConfig,
    private readonly context: ActionContext,
  ) {
    super();
  }

  run(output: Fields): void {
    this.context.log.info(
      { rule: this.context.ruleId, output: JSON.parse(jsonText(output)) },
      'rule output',
    );
    this.count.success++;
  }
}

class SinkRun implements Action {
  private readonly sink: Sink;
  /** What the sink had counted at the last reset (its counters only grow). */
  private base: ActionCounters = { success: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    readonly config: SinkAction,
    private readonly context: ActionContext,
  ) {
    const connector = context.connector(config.connector);
    if (connector === undefined) throw new Error(`no connector named '${config.connector}'`);
    const { type: _type, ...sinkConfig } = config;
    this.sink = connector.sink(sinkConfig, `${context.ruleId}:${context.index}`);
  }

  run(output: Fields): void {
    const topic = typeof output.topic === 'string' ? output.topic : '';
    this.sink.push(output, `${this.context.ruleId}/${topic}`);
  }

  private raw(): ActionCounters {
    const c = this.sink.counters;
    const dropped = Object.values(c.dropped).reduce((n, v) => n + v, 0);
    return { success: c.success, failed: c.failed, dropped, queued: c.queued };
  }

  counters(): ActionCounters {
    const now = this.raw();
    return {
      success: now.success - this.base.success,
      failed: now.failed - this.base.failed,
      dropped: now.dropped - this.base.dropped,
      // Queued is a level, not a count: never reset.
      queued: now.queued,
    };
  }

  reset(): void {
    this.base = this.raw();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/**
 * Not empty, no wildcard or U+0000, no lone surrogate (so well-formed UTF-8), at most 65535
 * bytes of UTF-8. A loop: this runs for every republished message.
 */
function isTopicName(topic: string): boolean {
  const length = topic.length;
  if (length === 0 || (length > 21845 && Buffer.byteLength(topic) > 65535)) return false;
  for (let i = 0; i < length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c === 0) return false;
    if (c < 0xd800 || c > 0xdfff) continue;
    // A high surrogate followed by a low one is one code point; anything else is lone.
    if (c > 0xdbff || i + 1 === length) return false;
    const next = topic.charCodeAt(++i);
    if (next < 0xdc00 || next > 0xdfff) return false;
  }
  return true;
}
