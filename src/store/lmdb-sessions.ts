// Sessions in LMDB: `sessions` by client, `outbound` by (client, seq), `incomingQos2` by
// (client, packet id). Deleting a session must also delete writes still queued in the writer,
// which a range scan of the committed data cannot see; so the store keeps an index of the
// keys each client has (proportional to the live state) and deletes exactly those. The index
// also holds each key's last put, so that deleting a record whose put has not reached LMDB
// yet drops the put instead of writing twice (lmdb-writer.ts: group commit).
import type { Database } from 'lmdb';
import type {
  Ban,
  BanKind,
  OutboundRecord,
  PersistedSessions,
  SessionRecord,
  SessionStore,
} from '../broker/ports.js';
import { clientScopedKey, nameKey, nameOfKey, parseClientScopedKey } from './lmdb-keys.js';
import { LmdbHalf } from './lmdb-half.js';
import { DataDirectoryError, describe } from './lmdb-open.js';
import type { LmdbDatabases } from './lmdb-open.js';
import { type LmdbWriter, ON_DISK, type WriteState } from './lmdb-writer.js';
import {
  decodeBan,
  decodeOutbound,
  decodeSession,
  encodeBan,
  encodeOutbound,
  encodeSession,
  outboundClientId,
} from './record-codec.js';

interface ClientKeys {
  key: Buffer;
  /** The key holds a digest: values must carry the client id. */
  hashed: boolean;
  hasSession: boolean;
  /** Keys by sequence number / packet id, with their last put. */
  outbound: Map<number, WriteState>;
  incomingQos2: Map<number, WriteState>;
}

/** The client-scoped records: their database and their index in ClientKeys share a name. */
type RecordKind = 'outbound' | 'incomingQos2';

export class LmdbSessionStore extends LmdbHalf implements SessionStore {
  private clients: Map<string, ClientKeys> | undefined;

  constructor(databases: LmdbDatabases, writer: LmdbWriter, release: () => Promise<void>) {
    super(databases, writer, release, 'session');
  }

  async load(): Promise<PersistedSessions> {
    this.checkOpen();
    await this.writer.flush();
    const persisted = this.readAll();
    // An index kept up to date by earlier writes also knows writes not yet committed.
    if (!this.clients) this.indexFrom(persisted);
    return persisted;
  }

  saveSession(record: SessionRecord): void {
    this.checkOpen();
    const client = this.client(record.clientId);
    client.hasSession = true;
    this.writer.put(this.databases.sessions, client.key, encodeSession(record));
  }

  deleteSession(clientId: string): void {
    this.checkOpen();
    const clients = this.index();
    const client = clients.get(clientId);
    if (!client) return;
    const { sessions, outbound, incomingQos2 } = this.databases;
    this.writer.remove(sessions, client.key);
    for (const [seq, write] of client.outbound) this.deleteKey(outbound, client, seq, write);
    for (const [id, write] of client.incomingQos2) this.deleteKey(incomingQos2, client, id, write);
    clients.delete(clientId);
  }

  saveOutbound(clientId: string, record: OutboundRecord): void {
    this.checkOpen();
    const client = this.client(clientId);
    const value = encodeOutbound(record, client.hashed ? clientId : undefined);
    this.putKey('outbound', client, record.seq, value);
  }

  deleteOutbound(clientId: string, seq: number): void {
    this.deleteRecord('outbound', clientId, seq);
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    this.checkOpen();
    const client = this.client(clientId);
    // The value only matters for a digest key: it names the client.
    this.putKey('incomingQos2', client, packetId, client.hashed ? clientId : true);
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.deleteRecord('incomingQos2', clientId, packetId);
  }

  saveBan(ban: Ban): void {
    this.checkOpen();
    this.writer.put(this.databases.bans, banKey(ban.kind, ban.value), encodeBan(ban));
  }

  deleteBan(kind: BanKind, value: string): void {
    this.checkOpen();
    this.writer.remove(this.databases.bans, banKey(kind, value));
  }

  private readAll(): PersistedSessions {
    try {
      return {
        sessions: Array.from(this.databases.sessions.getRange(), ({ value }) =>
          decodeSession(value),
        ),
        outbound: this.readOutbound(),
        incomingQos2: this.readIncomingQos2(),
        bans: Array.from(this.databases.bans.getRange(), ({ value }) => decodeBan(value)),
      };
    } catch (error) {
      const problem = `a session record is damaged (${describe(error)})`;
      throw new DataDirectoryError(this.writer.dataDir, problem, { cause: error });
    }
  }

  private readOutbound(): Map<string, OutboundRecord[]> {
    const outbound = new Map<string, OutboundRecord[]>();
    for (const { key, value } of this.databases.outbound.getRange()) {
      const { client, n: seq } = parseClientScopedKey(key as Buffer);
      const clientId = nameOfKey(client) ?? outboundClientId(value) ?? missingClientId();
      append(outbound, clientId, decodeOutbound(value, seq));
    }
    return outbound;
  }

  private readIncomingQos2(): Map<string, number[]> {
    const incomingQos2 = new Map<string, number[]>();
    for (const { key, value } of this.databases.incomingQos2.getRange()) {
      const { client, n: packetId } = parseClientScopedKey(key as Buffer);
      const clientId = nameOfKey(client) ?? (typeof value === 'string' ? value : missingClientId());
      append(incomingQos2, clientId, packetId);
    }
    return incomingQos2;
  }

  /** The key index; built from the data on first use if a write comes before load(). */
  private index(): Map<string, ClientKeys> {
    if (!this.clients) this.indexFrom(this.readAll());
    return this.clients!;
  }

  private indexFrom(persisted: PersistedSessions): void {
    this.clients = new Map();
    for (const session of persisted.sessions) this.client(session.clientId).hasSession = true;
    for (const [clientId, records] of persisted.outbound) {
      const seqs = this.client(clientId).outbound;
      for (const record of records) seqs.set(record.seq, ON_DISK);
    }
    for (const [clientId, packetIds] of persisted.incomingQos2) {
      const ids = this.client(clientId).incomingQos2;
      for (const packetId of packetIds) ids.set(packetId, ON_DISK);
    }
  }

  private client(clientId: string): ClientKeys {
    const clients = this.index();
    let client = clients.get(clientId);
    if (!client) {
      const key = nameKey(clientId);
      const hashed = nameOfKey(key) === undefined;
      client = { key, hashed, hasSession: false, outbound: new Map(), incomingQos2: new Map() };
      clients.set(clientId, client);
    }
    return client;
  }

  /** Queues a client-scoped record, superseding the key's last put. */
  private putKey(kind: RecordKind, client: ClientKeys, n: number, value: unknown): void {
    const key = clientScopedKey(client.key, n);
    const keys = client[kind];
    keys.set(n, this.writer.put(this.databases[kind], key, value, keys.get(n)));
  }

  private deleteRecord(kind: RecordKind, clientId: string, n: number): void {
    this.checkOpen();
    const client = this.index().get(clientId);
    const write = client?.[kind].get(n);
    if (client === undefined || write === undefined) return;
    client[kind].delete(n);
    this.deleteKey(this.databases[kind], client, n, write);
    this.forgetIfEmpty(clientId, client);
  }

  /** Removes a record's key, or drops its put if LMDB has not seen it yet. */
  private deleteKey(db: Database, client: ClientKeys, n: number, write: WriteState): void {
    if (!this.writer.cancel(write)) this.writer.remove(db, clientScopedKey(client.key, n));
  }

  /** Keeps the index proportional to the live state. */
  private forgetIfEmpty(clientId: string, client: ClientKeys): void {
    if (!client.hasSession && client.outbound.size === 0 && client.incomingQos2.size === 0) {
      this.clients?.delete(clientId);
    }
  }
}

function append<T>(map: Map<string, T[]>, clientId: string, item: T): void {
  const list = map.get(clientId);
  if (list) list.push(item);
  else map.set(clientId, [item]);
}

function missingClientId(): never {
  throw new Error('a record under a digest key does not name its client');
}

/** The kinds hold no '/': kind and value stay apart. */
const banKey = (kind: BanKind, value: string) => nameKey(`${kind}/${value}`);
