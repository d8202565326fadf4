// The MQTT-SN gateway: UDP in, MQTT 5.0 clients of the broker out.
export { listenMqttSn, MqttSnGateway, type SnListening } from './gateway.js';
export { type GatewayOptions, defaultGatewayOptions } from './options.js';
