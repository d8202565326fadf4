// The MQTT-SN client's requests awaiting their answers: each sent again after Tretry, failed
// after Nretry sends (MQTT-SN 6.13), and matched to answers by message type and MsgId.
import { SnMsgType as M, type SnPacket } from '../mqttsn/index.js';

export class SnClientError extends Error {
  constructor(
    message: string,
    readonly returnCode?: number,
  ) {
    super(message);
    this.name = 'SnClientError';
  }
}

interface Waiter {
  resolve(packet: SnPacket): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const ANSWER_NAMES = new Map<number, string>(
  Object.entries(M).map(([k, v]) => [v, k.toLowerCase()]),
);
/** Answers matched by type alone; the others by type and MsgId. */
const NOT_BY_MSG_ID = new Set<number>([M.Publish, M.Register, M.Pubrel]);

export class SnRequests {
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly send: (packet: SnPacket) => void,
    private readonly retryMs: number,
    private readonly retries: number,
  ) {}

  /** Sends and waits for the answer under one of `keys` ('connack', 'puback:7', …). */
  request(packet: SnPacket, keys: string[]): Promise<SnPacket> {
    let tries = this.retries;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(waiter.timer);
        for (const key of keys) this.waiters.delete(key);
      };
      const waiter: Waiter = {
        resolve: (answer) => {
          settle();
          resolve(answer);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        timer: undefined,
      };
      const attempt = () => {
        if (tries-- <= 0) {
          const what = keys[0]!.split(':')[0]!.toUpperCase();
          waiter.reject(new SnClientError(`no answer to ${what} from the gateway`));
          return;
        }
        this.send(packet);
        waiter.timer = setTimeout(attempt, this.retryMs);
      };
      for (const key of keys) this.waiters.set(key, waiter);
      attempt();
    });
  }

  /** Hands an answer to the request waiting for it; false when none waits. */
  answer(packet: SnPacket): boolean {
    const name = ANSWER_NAMES.get(packet.type) ?? '';
    const key =
      'msgId' in packet && !NOT_BY_MSG_ID.has(packet.type) ? `${name}:${packet.msgId}` : name;
    const waiter = this.waiters.get(key);
    if (waiter === undefined) return false;
    waiter.resolve(packet);
    return true;
  }

  rejectAll(error: Error): void {
    for (const waiter of [...this.waiters.values()]) waiter.reject(error);
  }
}
