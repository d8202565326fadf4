// The package entry point: `import { createBroker } from 'culex'`.
export { Broker, type PublishOptions } from './broker/broker.js';
export type { BrokerHooks, Logger } from './broker/hooks.js';
export type { Message } from './broker/message.js';
export { type BrokerOptions, defaultBrokerOptions } from './broker/options.js';
export type * from './broker/ports.js';
export { ReasonCode } from './protocol/constants.js';
export { type CreateBrokerOptions, CulexServer, createBroker, type StoreChoice } from './server.js';
