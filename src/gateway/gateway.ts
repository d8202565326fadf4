// The MQTT-SN gateway (MQTT-SN v1.2 "transparent" gateway, section 4): one UDP socket (IPv4
// or IPv6), one SnClient per client address, each a full MQTT 5.0 client of the broker.
// Every datagram is rate-limited per address, decoded, and dropped and counted when hostile.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Broker } from '../broker/broker.js';
import {
  decodeSn,
  PROTOCOL_ID,
  SnDecodeError,
  SnMsgType as M,
  type SnPacket,
  type SnPacketOf,
  SnReturnCode,
} from '../mqttsn/index.js';
import { SnClient } from './client.js';
import { GatewayContext, type SnAddress } from './context.js';
import { fromClient } from './inbound.js';
import { type GatewayOptions, defaultGatewayOptions } from './options.js';
import { RateLimits } from './rate.js';

const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export interface SnListening {
  readonly port: number;
  readonly host: string;
  readonly gateway: MqttSnGateway;
  close(): Promise<void>;
}

/** Opens a UDP socket on host:port (an IPv6 host opens a udp6 socket) and serves MQTT-SN. */
export function listenMqttSn(
  broker: Broker,
  port: number,
  host: string,
  options: Partial<GatewayOptions> = {},
): Promise<SnListening> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  const gateway = new MqttSnGateway(broker, { ...defaultGatewayOptions, ...options }, socket);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      // Bursts from many devices: as much kernel buffer as allowed (net.core.rmem_max caps it).
      try {
        socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {}
      // A failed send (an unreachable client) must not end the listener.
      socket.on('error', (error) =>
        broker.core.log.debug({ err: String(error) }, 'mqtt-sn socket'),
      );
      gateway.start();
      resolve({ port: socket.address().port, host, gateway, close: () => gateway.close() });
    });
  });
}

export class MqttSnGateway {
  readonly context: GatewayContext;
  private readonly clients = new Map<string, SnClient>();
  private readonly rates: RateLimits;
  private sweepTimer: NodeJS.Timeout | undefined;
  private advertiseTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    broker: Broker,
    readonly options: GatewayOptions,
    private readonly socket: Socket,
  ) {
    this.context = new GatewayContext(broker, options, {
      send: (datagram, port, host) => {
        if (!this.closed) socket.send(datagram, port, host);
      },
    });
    this.context.clientGone = (client) => {
      if (this.clients.get(client.address.key) === client) this.clients.delete(client.address.key);
    };
    this.rates = new RateLimits(options.datagramRate, options.maxAddresses);
    socket.on('message', (datagram, from) => this.onDatagram(datagram, from));
  }

  /** Clients by address, for tests and the bench. */
  get clientCount(): number {
    return this.clients.size;
  }

  clientAt(host: string, port: number): SnClient | undefined {
    return this.clients.get(`${host}|${port}`);
  }

  start() {
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
    const { advertiseInterval } = this.options;
    if (advertiseInterval > 0) {
      this.socket.setBroadcast(true);
      this.advertise();
      this.advertiseTimer = setInterval(() => this.advertise(), advertiseInterval * 1000);
      this.advertiseTimer.unref();
    }
  }

  /** Every client is told DISCONNECT; their broker connections close as lost (sessions stay). */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.sweepTimer);
    clearInterval(this.advertiseTimer);
    for (const client of [...this.clients.values()]) client.shutdown();
    this.closed = true;
    await new Promise<void>((done) => this.socket.close(() => done()));
  }

  private onDatagram(datagram: Buffer, from: RemoteInfo) {
    const context = this.context;
    context.stats.datagramsReceived++;
    const key = `${from.address}|${from.port}`;
    if (!this.rates.take(key, context.now())) return context.drop('rateLimited');
    let packet: SnPacket;
    try {
      packet = decodeSn(datagram);
    } catch (error) {
      if (error instanceof SnDecodeError) return context.drop(error.kind);
      throw error;
    }
    const client = this.clients.get(key);
    if (client !== undefined) client.lastHeard = context.now();
    this.dispatch(packet, client, { host: from.address, port: from.port, key });
  }

  private dispatch(packet: SnPacket, client: SnClient | undefined, address: SnAddress) {
    if (packet.type === M.Connect) return this.onConnect(packet, client, address);
    if (packet.type === M.SearchGw) return this.onSearchGw(address);
    if (packet.type === M.Publish && packet.qos === -1)
      return this.context.publishConnectionless(packet);
    if (client === undefined) return this.context.drop('notConnected');
    if (client.state === 'will-topic' || client.state === 'will-msg')
      return this.onWillPrompt(client, packet);
    if (client.state === 'connecting') return this.context.drop('unexpected');
    fromClient(client, packet);
  }

  /** 6.2 (and 6.14: a sleeping client's CONNECT makes it active again). */
  private onConnect(
    p: SnPacketOf<typeof M.Connect>,
    existing: SnClient | undefined,
    address: SnAddress,
  ) {
    const refuse = (returnCode: SnReturnCode) =>
      this.context.transmit(address, { type: M.Connack, returnCode });
    if (existing !== undefined && existing.clientId === p.clientId) {
      if (existing.state === 'asleep' || existing.state === 'awake')
        return existing.activate(p.duration);
      // A CONNECT sent again (6.13) before its CONNACK arrived: the CONNACK is on its way, or
      // the prompt it answers was lost and goes again.
      if (existing.state === 'connecting') return;
      if (existing.state === 'will-topic') return existing.send({ type: M.WillTopicReq });
      if (existing.state === 'will-msg') return existing.send({ type: M.WillMsgReq });
    }
    existing?.replace();
    if (p.protocolId !== PROTOCOL_ID || p.clientId === '') return refuse(SnReturnCode.NotSupported);
    if (this.clients.size >= this.options.maxClients) return refuse(SnReturnCode.Congestion);
    const client = new SnClient(this.context, address, p.clientId, p.cleanSession, p.duration);
    this.clients.set(address.key, client);
    if (!p.will) return client.openUpstream();
    client.state = 'will-topic';
    client.send({ type: M.WillTopicReq });
  }

  /** 6.2: WILLTOPIC then WILLMSG, each asked for; an empty WILLTOPIC means no will. */
  private onWillPrompt(client: SnClient, p: SnPacket) {
    if (client.state === 'will-topic' && p.type === M.WillTopic) {
      if (p.willTopic === '') return client.openUpstream();
      client.will = { topic: p.willTopic, payload: Buffer.alloc(0), qos: p.qos, retain: p.retain };
      client.state = 'will-msg';
      return client.send({ type: M.WillMsgReq });
    }
    if (client.state === 'will-msg' && p.type === M.WillMsg && client.will !== undefined) {
      client.will.payload = Buffer.from(p.willMessage);
      return client.openUpstream();
    }
    this.context.drop('unexpected');
  }

  /** 6.1: answer SEARCHGW with GWINFO, to the asker only. */
  private onSearchGw(address: SnAddress) {
    this.context.transmit(address, { type: M.GwInfo, gatewayId: this.options.gatewayId });
  }

  /** 6.1: ADVERTISE with the time to the next one. */
  private advertise() {
    const { gatewayId, advertiseInterval, advertiseHost, advertisePort } = this.options;
    this.context.transmit(
      { host: advertiseHost, port: advertisePort, key: '' },
      { type: M.Advertise, gatewayId, duration: advertiseInterval },
    );
  }

  private sweep() {
    const now = this.context.now();
    for (const client of [...this.clients.values()]) client.sweep(now);
    this.rates.sweep(now);
  }
}
