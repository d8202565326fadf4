import { ReasonCode } from './constants.js';

/**
 * A violation found while decoding or validating a packet. `reasonCode` is the 5.0 reason
 * code to send (CONNACK or DISCONNECT); `ruleId` is the spec statement broken, e.g.
 * "MQTT-3.3.1-4", when there is one.
 */
export class MqttError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
    readonly ruleId?: string,
  ) {
    super(ruleId ? `${message} [${ruleId}]` : message);
    this.name = 'MqttError';
  }
}

export const malformed = (message: string, ruleId?: string) =>
  new MqttError(ReasonCode.MalformedPacket, message, ruleId);

export const protocolError = (message: string, ruleId?: string) =>
  new MqttError(ReasonCode.ProtocolError, message, ruleId);
