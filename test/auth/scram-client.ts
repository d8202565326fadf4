// The client side of SCRAM-SHA-256 (RFC 5802 section 3 and 7), written separately from the
// server in src/auth so that the tests check one against the other and against RFC 7677's
// example. Only what a test needs: no SASLprep beyond ASCII, no channel binding.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const hmacSha256 = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export class ScramClient {
  readonly clientNonce: string;
  readonly gs2Header: string;
  private bare = '';
  private serverSignature?: Buffer;

  constructor(
    readonly username: string,
    private readonly password: string,
    options: { nonce?: string; gs2Header?: string } = {},
  ) {
    this.clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    this.gs2Header = options.gs2Header ?? 'n,,';
  }

  clientFirst(): Buffer {
    this.bare = `n=${escapeName(this.username)},r=${this.clientNonce}`;
    return Buffer.from(this.gs2Header + this.bare);
  }

  /** Answers server-first; `tamper` lets a test change the nonce or the proof it sends. */
  clientFinal(
    serverFirstData: Uint8Array,
    tamper: { nonce?: (nonce: string) => string; proof?: (proof: Buffer) => Buffer } = {},
  ): Buffer {
    const serverFirst = Buffer.from(serverFirstData).toString('utf8');
    const fields = new Map(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    const nonce = fields.get('r')!;
    if (!nonce.startsWith(this.clientNonce)) throw new Error('server nonce does not extend ours');
    const salt = Buffer.from(fields.get('s')!, 'base64');
    const iterations = Number(fields.get('i'));
    const salted = pbkdf2Sync(this.password, salt, iterations, 32, 'sha256');
    const clientKey = hmacSha256(salted, 'Client Key');
    const sentNonce = tamper.nonce ? tamper.nonce(nonce) : nonce;
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString('base64')},r=${sentNonce}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = hmacSha256(sha256(clientKey), authMessage);
    let proof: Buffer = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    if (tamper.proof) proof = tamper.proof(proof);
    this.serverSignature = hmacSha256(hmacSha256(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** True when server-final proves the server holds this user's credential. */
  verifyServerFinal(data: Uint8Array | undefined): boolean {
    const text = Buffer.from(data ?? []).toString('utf8');
    if (!text.startsWith('v=') || !this.serverSignature) return false;
    const signature = Buffer.from(text.slice(2), 'base64');
    return (
      signature.length === this.serverSignature.length &&
      timingSafeEqual(signature, this.serverSignature)
    );
  }
}
