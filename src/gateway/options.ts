// The MQTT-SN gateway's options: one set per `{ type: mqttsn }` listener.

export interface GatewayOptions {
  /** GwId of ADVERTISE and GWINFO (MQTT-SN 5.3.3). */
  gatewayId: number;
  /** Seconds between ADVERTISE messages; 0 sends none. */
  advertiseInterval: number;
  /** Where ADVERTISE goes: a broadcast or multicast address and port. */
  advertiseHost: string;
  advertisePort: number;
  /** Pre-defined topic ids (MQTT-SN 3 and 6.8), the same for every client: id → topic name. */
  predefinedTopics: Record<number, string>;
  /** MQTT-SN clients at once (connecting, active or asleep); more are refused with Congestion. */
  maxClients: number;
  /** Topic ids one client may register, both ways (REGISTER and the gateway's REGISTER). */
  maxTopicsPerClient: number;
  /** Messages held for a sleeping client, or behind a REGISTER awaiting its REGACK. */
  maxSleepBuffer: number;
  /** Datagrams per second one address (IP and port) may send; 0: no limit. */
  datagramRate: number;
  /** Addresses whose datagram rate is tracked at once; beyond it new addresses are dropped. */
  maxAddresses: number;
  /** Session Expiry Interval (seconds) given to the broker for CleanSession 0. */
  sessionExpiryInterval: number;
  /** Seconds before an unanswered REGISTER, PUBLISH or PUBREL is sent again (Tretry, 6.13). */
  retryInterval: number;
  /** Accept PUBLISH with QoS −1 (no connection, pre-defined or short topics, MQTT-SN 6.8). */
  allowQosMinusOne: boolean;
  /** User name and password the gateway presents to the broker for its clients (CONNECT has none). */
  username?: string;
  password?: string;
}

export const defaultGatewayOptions: GatewayOptions = {
  gatewayId: 1,
  advertiseInterval: 0,
  advertiseHost: '255.255.255.255',
  advertisePort: 1884,
  predefinedTopics: {},
  maxClients: 10_000,
  maxTopicsPerClient: 1000,
  maxSleepBuffer: 100,
  datagramRate: 500,
  maxAddresses: 100_000,
  sessionExpiryInterval: 7200,
  retryInterval: 10,
  allowQosMinusOne: true,
};
