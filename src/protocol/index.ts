// The codec's public surface: the packet model, the streaming decoder and the encoder.
export * from './constants.js';
export * from './errors.js';
export * from './packets.js';
export { PacketDecoder, type PacketDecoderOptions } from './decoder.js';
export {
  encode,
  encodedSize,
  type PublishSizes,
  publishSizes,
  writePublishPacket,
} from './encoder.js';
export { MAX_PACKET_SIZE } from './frame.js';
export { patchPublish, publishPacketIdOffset } from './publish.js';
export { fromConnectReturnCode, toConnectReturnCode } from './reasons.js';
