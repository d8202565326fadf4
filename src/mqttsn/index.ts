// MQTT-SN v1.2: constants, the packet model and the datagram codec (no I/O).
export * from './constants.js';
export * from './packets.js';
export { decodeSn, encodeSn, packetName, SnDecodeError } from './codec.js';
