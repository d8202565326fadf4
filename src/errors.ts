// Operator-facing errors (configuration, command line, start-up), one catalog with stable codes
// so that messages can be searched for and scripts can match them.
export const ErrorCode = {
  ConfigUnknownKey: 'CULEX_E_CONFIG_UNKNOWN_KEY',
  ConfigBadValue: 'CULEX_E_CONFIG_BAD_VALUE',
  ConfigUnreadable: 'CULEX_E_CONFIG_UNREADABLE',
  ListenFailed: 'CULEX_E_LISTEN_FAILED',
  DataDirectory: 'CULEX_E_DATA_DIRECTORY',
  ClusterUnavailable: 'CULEX_E_CLUSTER_UNAVAILABLE',
  ClusterNodeNameTaken: 'CULEX_E_CLUSTER_NODE_NAME_TAKEN',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CulexError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CulexError';
  }
}
