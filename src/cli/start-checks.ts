// Checks `culex start` makes before it opens anything: each file a listener names is read and
// parsed, so a missing or malformed certificate or key stops start-up with one line naming
// the setting and the file (Node's own errors say neither: "PEM routines::no start line").
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { ListenerConfig } from '../config.js';
import { CulexError, ErrorCode, settingFileError } from '../errors.js';

/** Reads `file` and checks it with `parse`; `what` ends "'x.crt' is not <what>". */
function readPem(setting: string, file: string, what: string, parse: (pem: Buffer) => unknown) {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw settingFileError(setting, file, error);
  }
  try {
    parse(pem);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error:[0-9A-F]+:/, '');
    throw new CulexError(ErrorCode.FileInvalid, `${setting}: '${file}' is not ${what} (${reason})`);
  }
  return pem;
}

/** Throws a CulexError for the first TLS listener whose cert, key or ca cannot serve. */
export function checkListenerFiles(listeners: readonly ListenerConfig[]): void {
  listeners.forEach((listener, index) => {
    if (listener.type !== 'tls' && listener.type !== 'wss') return;
    const at = `listeners[${index}]`;
    const certificate = (pem: Buffer) => new X509Certificate(pem);
    const cert = readPem(`${at}.cert`, listener.cert!, 'a PEM certificate', certificate);
    const key = readPem(`${at}.key`, listener.key!, 'a PEM private key', createPrivateKey);
    if (listener.ca) readPem(`${at}.ca`, listener.ca, 'PEM CA certificates', certificate);
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      const reason = (error as Error).message.replace(/^error:[0-9A-F]+:/, '');
      throw new CulexError(
        ErrorCode.FileInvalid,
        `${at}.key: '${listener.key}' does not go with the certificate '${listener.cert}' (${reason})`,
      );
    }
  });
}
