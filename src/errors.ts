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
  /** `--workers` without `--cluster` needs nats-server on PATH. */
  NatsServerMissing: 'CULEX_E_NATS_SERVER_MISSING',
  /** A `--workers` process kept failing before it could serve. */
  WorkerFailed: 'CULEX_E_WORKER_FAILED',
  /** A file a setting names (certificate, key, password or ACL file) cannot be read. */
  FileUnreadable: 'CULEX_E_FILE_UNREADABLE',
  /** A file a setting names was read but its content is not what the setting needs. */
  FileInvalid: 'CULEX_E_FILE_INVALID',
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

/**
 * One line for a file named by a setting that could not be used, e.g.
 * "listeners[2].cert: cannot read 'nope.crt': no such file or directory". An error from the
 * file system becomes FileUnreadable; any other (a parser's) is the content's FileInvalid.
 */
export function settingFileError(setting: string, file: string, error: unknown): CulexError {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.syscall === 'string') {
    // "ENOENT: no such file or directory, open 'nope.crt'" → "no such file or directory"
    const reason = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    return new CulexError(ErrorCode.FileUnreadable, `${setting}: cannot read '${file}': ${reason}`);
  }
  return new CulexError(ErrorCode.FileInvalid, `${setting}: ${e.message ?? String(error)}`);
}
