// Broker-wide counters, read by $SYS and the admin API. Plain numbers: cheap on the hot path.

export class BrokerStats {
  readonly startedAt = Date.now();
  connectionsTotal = 0;
  messagesReceived = 0;
  messagesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  /** PUBLISH messages and their payload bytes, indexed by QoS (received: before routing). */
  publishReceivedByQos = [0, 0, 0];
  publishSentByQos = [0, 0, 0];
  payloadBytesReceivedByQos = [0, 0, 0];
  payloadBytesSentByQos = [0, 0, 0];
  /** Messages dropped, by reason. */
  dropped = {
    queueFull: 0,
    expired: 0,
    tooLarge: 0,
    slowConsumer: 0,
    noSubscribers: 0,
  };
  /** Messages that came from other cluster nodes. */
  clusterReceived = 0;
  authFailures = 0;
  aclDenials = 0;
  /** The MQTT-SN gateway's datagrams (src/gateway), and those it dropped, by reason. */
  mqttsn = {
    datagramsReceived: 0,
    datagramsSent: 0,
    dropped: {
      malformed: 0,
      unknownType: 0,
      rateLimited: 0,
      notConnected: 0,
      spoofed: 0,
      unexpected: 0,
      invalidTopic: 0,
      bufferFull: 0,
    },
  };
}

export type SnDropReason = keyof BrokerStats['mqttsn']['dropped'];

export type DropReason = keyof BrokerStats['dropped'];
