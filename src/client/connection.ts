// One network connection: opens the transport, sends CONNECT, waits for CONNACK, then turns
// incoming bytes into packets for the client. A new Connection is made for every reconnect,
// so callbacks from a dead one can be told apart and ignored.
import { PacketType, ProtocolVersion, ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { PacketDecoder } from '../protocol/index.js';
import type { ConnackPacket, ConnectPacket, Packet } from '../protocol/packets.js';
import { ConnectionError, toError } from './errors.js';
import type { BrokerAddress } from './options.js';
import type { PacketWriter } from './packet-writer.js';
import { openTransport, type Transport, type TransportOptions } from './transport.js';

export interface ConnectionHandlers {
  onPacket(packet: Packet): void;
  /** Called once, when the connection is gone; `error` is why, when it was not asked for. */
  onClose(error: Error | undefined): void;
}

type Waiter = { resolve(connack: ConnackPacket): void; reject(error: Error): void };

export class Connection {
  #transport: Transport | undefined;
  readonly #decoder: PacketDecoder;
  #closed = false;
  /** Opened with mqtts:// or wss://. */
  #secure = false;
  #connackWaiter: Waiter | undefined;
  #closeWaiters: (() => void)[] = [];
  /** Why the connection was failed from this side, reported by onClose. */
  #failure: Error | undefined;
  /** CONNACK accepted: from here on, losing the connection means reconnecting. */
  established = false;

  constructor(
    private readonly version: ProtocolVersion,
    maximumPacketSize: number | undefined,
    private readonly writer: PacketWriter,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.#decoder = new PacketDecoder({ protocolVersion: version, maximumPacketSize });
  }

  /** Opens the transport and performs the CONNECT / CONNACK exchange. */
  async open(
    address: BrokerAddress,
    options: TransportOptions,
    connect: ConnectPacket,
  ): Promise<ConnackPacket> {
    const connack = new Promise<ConnackPacket>((resolve, reject) => {
      this.#connackWaiter = { resolve, reject };
    });
    connack.catch(() => {}); // awaited below unless opening the transport fails first
    this.#secure = address.scheme === 'mqtts' || address.scheme === 'wss';
    const timer = setTimeout(() => {
      this.fail(new ConnectionError('CONNECT_TIMEOUT', `No CONNACK within ${options.timeout} ms`));
    }, options.timeout);
    try {
      const transport = await openTransport(address, options, {
        onData: (chunk) => this.#onData(chunk),
        onDrain: () => this.writer.onDrain(),
        onClose: (error) => this.#onClose(error),
      });
      if (this.#closed) {
        transport.destroy();
        throw this.#failure ?? new ConnectionError('CONNECTION_LOST', 'Connection closed');
      }
      this.#transport = transport;
      this.writer.attach(transport, this.version);
      // [MQTT-3.1.0-1] CONNECT is the first packet on the connection.
      this.writer.send(connect);
      this.writer.flush();
      return await connack;
    } finally {
      clearTimeout(timer);
    }
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#decoder.push(chunk);
    try {
      for (let packet = this.#decoder.next(); packet; packet = this.#decoder.next()) {
        this.#dispatch(packet);
        if (this.#closed) return;
      }
    } catch (error) {
      this.fail(toError(error));
    }
  }

  #dispatch(packet: Packet): void {
    const waiter = this.#connackWaiter;
    if (!waiter) {
      this.handlers.onPacket(packet);
      return;
    }
    if (packet.type !== PacketType.Connack) {
      throw new MqttError(
        ReasonCode.ProtocolError,
        `Expected CONNACK, received packet type ${packet.type}`,
      );
    }
    this.#connackWaiter = undefined;
    waiter.resolve(packet);
  }

  /**
   * Closes the connection because of `error`. An MqttError (a violation by the server) is
   * first reported to it in a 5.0 DISCONNECT with the error's reason code.
   */
  fail(error: Error): void {
    if (this.#closed) return;
    this.#failure = error;
    if (error instanceof MqttError && this.version === ProtocolVersion.V5 && this.#transport) {
      try {
        this.writer.send({
          type: PacketType.Disconnect,
          reasonCode: error.reasonCode,
          properties: { reasonString: error.message },
        });
        this.writer.flush();
      } catch {
        // nothing more can be done for a connection being torn down
      }
    }
    this.#transport ? this.#transport.destroy() : this.#onClose(undefined);
  }

  /**
   * Flushes what is queued and closes the transport (after DISCONNECT, for instance);
   * resolves once closed, destroying the transport if the server keeps it open too long.
   */
  end(timeoutMs = 2_000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.writer.flush();
    if (!this.#transport) {
      this.#onClose(undefined);
      return closed;
    }
    this.#transport.end();
    const timer = setTimeout(() => this.#transport?.destroy(), timeoutMs);
    return closed.finally(() => clearTimeout(timer));
  }

  #onClose(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    const reason =
      this.#failure ?? (error && new ConnectionError('CONNECTION_LOST', error.message, error));
    const waiter = this.#connackWaiter;
    this.#connackWaiter = undefined;
    // A TLS listener closes a plain connection without a word: say that it may be one.
    const hint = this.#secure ? '' : ' (if the port expects TLS, use mqtts:// or wss://)';
    waiter?.reject(
      reason ?? new ConnectionError('CONNECTION_LOST', `Connection closed before CONNACK${hint}`),
    );
    this.handlers.onClose(reason);
    for (const wake of this.#closeWaiters) wake();
  }

  get closed(): boolean {
    return this.#closed;
  }
}
