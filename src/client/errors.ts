// Typed client errors. Every failure the client reports is one of these classes, so callers
// can branch on `instanceof` or on `code` and read the broker's reason code and string.
import { ReasonCode } from '../protocol/constants.js';

/** The spec name of each reason code; where names share a value the first listed wins. */
const REASON_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(ReasonCode)) {
  if (!REASON_NAMES.has(value)) REASON_NAMES.set(value, name);
}

/** "NotAuthorized (0x87)": the spec name of a reason code and its hexadecimal value. */
export function reasonCodeName(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const name = REASON_NAMES.get(code);
  return name ? `${name} (${hex})` : `reason ${hex}`;
}

/** What went wrong, as a stable string for `switch` statements and logs. */
export type ClientErrorCode =
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_LOST'
  | 'CONNECT_TIMEOUT'
  | 'PING_TIMEOUT'
  | 'SERVER_DISCONNECT'
  | 'PUBLISH_FAILED'
  | 'SUBSCRIBE_FAILED'
  | 'UNSUBSCRIBE_FAILED'
  | 'PACKET_TOO_LARGE'
  | 'QUEUE_FULL'
  | 'CLIENT_CLOSED'
  | 'INVALID_ARGUMENT'
  | 'PROTOCOL_ERROR'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED';

export class MqttClientError extends Error {
  /** A 5.0 reason code when the broker (or the rule broken) gave one. */
  readonly reasonCode: number | undefined;
  /** The broker's Reason String property, when it sent one. */
  readonly reasonString: string | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options: { reasonCode?: number; reasonString?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MqttClientError';
    this.reasonCode = options.reasonCode;
    this.reasonString = options.reasonString;
  }
}

/** Builds "<what>: NotAuthorized (0x87): <reason string>". */
function withReason(what: string, reasonCode: number, reasonString: string | undefined): string {
  const base = `${what}: ${reasonCodeName(reasonCode)}`;
  return reasonString ? `${base}: ${reasonString}` : base;
}

/** CONNACK carried a failure reason code (3.1.1 return codes are mapped to 5.0 codes). */
export class ConnectionRefusedError extends MqttClientError {
  constructor(
    reasonCode: number,
    reasonString?: string,
    /** The Server Reference of a 0x9C / 0x9D CONNACK (5.0): where the client is sent. */
    readonly serverReference?: string,
  ) {
    super('CONNECTION_REFUSED', withReason('Connection refused', reasonCode, reasonString), {
      reasonCode,
      reasonString,
    });
    this.name = 'ConnectionRefusedError';
  }
}

/** The broker sent DISCONNECT (5.0) with a reason code. */
export class ServerDisconnectError extends MqttClientError {
  constructor(
    reasonCode: number,
    reasonString?: string,
    /** The Server Reference of a 0x9C / 0x9D DISCONNECT: where the client is sent. */
    readonly serverReference?: string,
  ) {
    super('SERVER_DISCONNECT', withReason('Disconnected by server', reasonCode, reasonString), {
      reasonCode,
      reasonString,
    });
    this.name = 'ServerDisconnectError';
  }
}

/** PUBACK, PUBREC or PUBCOMP carried a failure reason code. */
export class PublishError extends MqttClientError {
  constructor(
    readonly topic: string,
    reasonCode: number,
    reasonString?: string,
  ) {
    super('PUBLISH_FAILED', withReason(`Publish to '${topic}' failed`, reasonCode, reasonString), {
      reasonCode,
      reasonString,
    });
    this.name = 'PublishError';
  }
}

/** The transport closed or failed; `cause` holds the transport's error when there was one. */
export class ConnectionError extends MqttClientError {
  constructor(
    code: 'CONNECTION_LOST' | 'CONNECT_TIMEOUT' | 'PING_TIMEOUT',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { cause });
    this.name = 'ConnectionError';
  }
}

export const clientClosed = () =>
  new MqttClientError('CLIENT_CLOSED', 'The client was ended before the operation completed');

export const invalidArgument = (message: string, reasonCode?: number) =>
  new MqttClientError('INVALID_ARGUMENT', message, { reasonCode });

export const packetTooLarge = (size: number, maximum: number) =>
  new MqttClientError(
    'PACKET_TOO_LARGE',
    `Packet of ${size} bytes exceeds the server's Maximum Packet Size of ${maximum}`,
    { reasonCode: ReasonCode.PacketTooLarge },
  );

export const queueFull = (limit: number) =>
  new MqttClientError('QUEUE_FULL', `Offline queue is full (${limit} messages)`, {
    reasonCode: ReasonCode.QuotaExceeded,
  });

/** Normalises anything thrown by a transport or codec into an Error. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** SUBACK refused at least one filter; `reasonCodes` has the broker's code for each. */
export class SubscribeError extends MqttClientError {
  constructor(
    readonly topicFilters: string[],
    readonly reasonCodes: number[],
    reasonString?: string,
  ) {
    const index = reasonCodes.findIndex((code) => code >= ReasonCode.UnspecifiedError);
    const what = `Subscribe to '${topicFilters[index]}' failed`;
    super('SUBSCRIBE_FAILED', withReason(what, reasonCodes[index]!, reasonString), {
      reasonCode: reasonCodes[index],
      reasonString,
    });
    this.name = 'SubscribeError';
  }
}
