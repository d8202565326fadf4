// The accepting CONNACK: the server's capabilities (the same for every client) plus what was
// negotiated for one connection. Most connections negotiate nothing of their own, so their
// CONNACK is encoded once per (protocol version, Session Present) and shared.
import { PacketType, type ProtocolVersion, ReasonCode } from '../protocol/constants.js';
import { encode } from '../protocol/index.js';
import { NO_PROPERTIES, type Properties } from '../protocol/packets.js';
import type { BrokerOptions } from './options.js';

export class SuccessConnacks {
  /** Our limits, which a 5.0 client must respect (section 3.2.2.3). */
  private readonly capabilities: Properties = {};
  private readonly shared = new Map<number, Uint8Array>();

  constructor(options: BrokerOptions) {
    const capabilities = this.capabilities;
    if (options.receiveMaximum !== 65535) capabilities.receiveMaximum = options.receiveMaximum;
    capabilities.maximumPacketSize = options.maxPacketSize;
    if (options.topicAliasMaximum > 0) capabilities.topicAliasMaximum = options.topicAliasMaximum;
    if (!options.retainAvailable) capabilities.retainAvailable = false;
    if (options.maximumQoS < 2) capabilities.maximumQoS = options.maximumQoS as 0 | 1;
  }

  /**
   * The encoded CONNACK. `negotiated` holds this connection's own properties (Assigned Client
   * Identifier, Server Keep Alive, ...); 3.1 and 3.1.1 CONNACKs carry none.
   */
  encode(version: ProtocolVersion, sessionPresent: boolean, negotiated: Properties): Uint8Array {
    if (version === 5 && !isEmpty(negotiated))
      return this.encodeWith(version, sessionPresent, { ...this.capabilities, ...negotiated });
    const key = version * 2 + (sessionPresent ? 1 : 0);
    let bytes = this.shared.get(key);
    if (bytes === undefined) {
      bytes = this.encodeWith(
        version,
        sessionPresent,
        version === 5 ? this.capabilities : NO_PROPERTIES,
      );
      this.shared.set(key, bytes);
    }
    return bytes;
  }

  private encodeWith(
    version: ProtocolVersion,
    sessionPresent: boolean,
    properties: Properties,
  ): Uint8Array {
    return encode(
      { type: PacketType.Connack, sessionPresent, reasonCode: ReasonCode.Success, properties },
      version,
    );
  }
}

function isEmpty(properties: Properties): boolean {
  for (const _ in properties) return false;
  return true;
}
