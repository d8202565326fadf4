// Persistent sessions kept in the cluster: a SessionStore over a JetStream KV bucket
// (replicated), so a session survives its node's death and resumes on another node with
// what it had queued and in flight, and its QoS 2 ids. Keys are scoped by node
// (`<node>.s.<client>`, `<node>.o.<client>.<seq>`, `<node>.q.<client>.<packetId>`): a node
// loads its own sessions at start, and takes a dead node's session when its client returns.
// Every value carries its client id: a long id's key token is a hash (keyToken).
import type { KV } from '@nats-io/kv';
import type {
  Ban,
  BanKind,
  OutboundRecord,
  PersistedSessions,
  SessionRecord,
  SessionStore,
  TransferredSession,
} from '../broker/ports.js';
import { WINDOW_MS as RECENT_WINDOW_MS } from '../broker/recent-ids.js';
import { decodeOutbound, decodeRecord, encodeOutbound, encodeRecord } from './session-codec.js';
import { KvWriter } from './kv-writer.js';
import { decodeToken, encodeToken, keyToken } from './subject.js';
import { listKeys, removeKey } from './kv-keys.js';

/**
 * How long the record of a message for a client waits before it is written: when the client
 * is connected, its acknowledgement usually comes first and cancels it (kv-writer.ts). The
 * publisher's acknowledgement waits for one or the other.
 */
const HOLD_BACK_MS = 25;

/** The first token of ban keys: no node name escapes to it (`=B` is no escape). */
const BANS = '=B';

/** What is stored for one client, so deleteSession can remove every key. */
interface Keys {
  /** Sequence numbers of message records and of completed markers. */
  outbound: Set<number>;
  incomingQos2: Set<number>;
  /** Of those, the markers of completed QoS 2 messages (deleteOutbound). */
  completed: Set<number>;
}

const noKeys = (): Keys => ({ outbound: new Set(), incomingQos2: new Set(), completed: new Set() });

/** How often markers past their time are removed. */
const SWEEP_MS = 10_000;

export class KvSessionStore implements SessionStore {
  private readonly writer: KvWriter;
  /** Key scans of deleteSession for clients not loaded here (flush waits for them). */
  private readonly scans = new Set<Promise<void>>();
  private readonly keys = new Map<string, Keys>();
  private closed = false;
  private readonly prefix: string;
  /** Completed markers to remove once their time is over, oldest first. */
  private markers: { clientId: string; seq: number; due: number }[] = [];
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KV,
    nodeName: string,
    /** How long the marker of a completed QoS 2 message is kept (deleteOutbound). */
    private readonly markerMs = RECENT_WINDOW_MS,
  ) {
    this.prefix = encodeToken(nodeName);
    this.writer = new KvWriter(kv, 5, HOLD_BACK_MS);
  }

  private writable(): void {
    if (this.closed) throw new Error('culex: the cluster session store is closed');
  }

  private key(kind: 's' | 'o' | 'q', clientId: string, id?: number): string {
    const base = `${this.prefix}.${kind}.${keyToken(clientId)}`;
    return id === undefined ? base : `${base}.${id}`;
  }

  private keysOf(clientId: string): Keys {
    let keys = this.keys.get(clientId);
    if (keys === undefined) {
      keys = noKeys();
      this.keys.set(clientId, keys);
    }
    return keys;
  }

  async load(): Promise<PersistedSessions> {
    this.writable();
    const loaded = await this.loadNode(this.prefix, true);
    // Bans are the cluster's, not a node's: every node loads them all.
    for (const key of await listKeys(this.kv, `${BANS}.>`)) {
      const entry = await this.kv.get(key);
      if (entry !== null && entry.operation === 'PUT') loaded.bans.push(entry.json<Ban>());
    }
    return loaded;
  }

  /** Client ids of the sessions a node keeps in the cluster. */
  async clientsOf(node: string): Promise<string[]> {
    const loaded = await this.loadSessionsOnly(encodeToken(node));
    return loaded.map((record) => record.clientId);
  }

  /** The nodes that keep a session of `clientId`. */
  async storedBy(clientId: string): Promise<string[]> {
    const nodes: string[] = [];
    for (const key of await listKeys(this.kv, `*.s.${keyToken(clientId)}`)) {
      const entry = await this.kv.get(key);
      if (entry?.operation === 'PUT') nodes.push(decodeToken(key.slice(0, key.indexOf('.'))));
    }
    return nodes;
  }

  private async loadSessionsOnly(prefix: string): Promise<SessionRecord[]> {
    const records: SessionRecord[] = [];
    for (const key of await listKeys(this.kv, `${prefix}.s.*`)) {
      const entry = await this.kv.get(key);
      if (entry !== null && entry.operation === 'PUT') records.push(decodeRecord(entry.string()));
    }
    return records;
  }

  saveBan(ban: Ban): void {
    this.writable();
    this.writer.put(`${BANS}.${ban.kind}.${keyToken(ban.value)}`, JSON.stringify(ban));
  }

  deleteBan(kind: BanKind, value: string): void {
    this.writable();
    this.writer.delete(`${BANS}.${kind}.${keyToken(value)}`);
  }

  /** Every session kept under a node's prefix; `own`: remember their keys (this node's). */
  private async loadNode(prefix: string, own: boolean, client = '*'): Promise<PersistedSessions> {
    const loaded: PersistedSessions = {
      sessions: [],
      outbound: new Map(),
      incomingQos2: new Map(),
      bans: [],
    };
    // The session record last: a copy being removed (takeFrom's release, record first) is
    // then found whole or not at all.
    for (const kind of ['o', 'q', 's']) {
      const filter = kind === 's' ? `${prefix}.s.${client}` : `${prefix}.${kind}.${client}.*`;
      for (const key of await listKeys(this.kv, filter)) {
        const entry = await this.kv.get(key);
        if (entry === null || entry.operation !== 'PUT') continue;
        if (own) this.writer.exists(key);
        const id = Number(key.split('.')[3]);
        if (kind === 's') {
          loaded.sessions.push(decodeRecord(entry.string()));
          continue;
        }
        const { clientId, record, completed, at } = JSON.parse(entry.string());
        if (completed !== undefined) {
          loaded.completed ??= new Map();
          const list = loaded.completed.get(clientId) ?? [];
          list.push({ seq: id, id: completed });
          loaded.completed.set(clientId, list);
          if (own) this.marked(clientId, id, at);
        } else if (kind === 'o') {
          const list = loaded.outbound.get(clientId) ?? [];
          list.push(decodeOutbound(record));
          loaded.outbound.set(clientId, list);
          if (own) this.keysOf(clientId).outbound.add(id);
        } else {
          const list = loaded.incomingQos2.get(clientId) ?? [];
          list.push(id);
          loaded.incomingQos2.set(clientId, list);
          if (own) this.keysOf(clientId).incomingQos2.add(id);
        }
      }
    }
    for (const list of loaded.outbound.values()) list.sort((a, b) => a.seq - b.seq);
    for (const list of loaded.incomingQos2.values()) list.sort((a, b) => a - b);
    return loaded;
  }

  /**
   * The session a dead node kept for `clientId`, or undefined; its keys are removed by
   * `release`, which the caller calls once it has saved the session under its own node.
   */
  async takeFrom(node: string, clientId: string): Promise<TransferredSession | undefined> {
    const prefix = encodeToken(node);
    const client = keyToken(clientId);
    const loaded = await this.loadNode(prefix, false, client);
    const record = loaded.sessions[0];
    if (record === undefined) return undefined;
    const outbound = loaded.outbound.get(clientId) ?? [];
    const incomingQos2 = loaded.incomingQos2.get(clientId) ?? [];
    const completed = loaded.completed?.get(clientId) ?? [];
    // The record first: another node reading the copy meanwhile finds it whole or not at all.
    const release = async () => {
      const keys: string[] = [];
      for (const o of [...outbound, ...completed]) keys.push(`${prefix}.o.${client}.${o.seq}`);
      for (const id of incomingQos2) keys.push(`${prefix}.q.${client}.${id}`);
      try {
        await removeKey(this.kv, `${prefix}.s.${client}`);
        await Promise.all(keys.map((key) => removeKey(this.kv, key)));
      } catch {}
    };
    return {
      record,
      outbound,
      incomingQos2,
      completed: completed.map((marker) => marker.id),
      heldBy: record.heldBy,
      release,
    };
  }

  saveSession(record: SessionRecord): void {
    this.writable();
    this.keysOf(record.clientId);
    this.writer.put(this.key('s', record.clientId), encodeRecord(record));
  }

  deleteSession(clientId: string): void {
    this.writable();
    const keys = this.keys.get(clientId);
    // Writes of this client from now on belong to a new session: keep them.
    this.keys.set(clientId, noKeys());
    this.writer.delete(this.key('s', clientId));
    if (keys === undefined) {
      const scan = this.deleteUnknown(clientId).finally(() => this.scans.delete(scan));
      this.scans.add(scan);
      return;
    }
    for (const seq of keys.outbound) this.writer.delete(this.key('o', clientId, seq));
    for (const id of keys.incomingQos2) this.writer.delete(this.key('q', clientId, id));
  }

  /** A client this store has not loaded: find its keys in the bucket first. */
  private async deleteUnknown(clientId: string): Promise<void> {
    const later = this.keysOf(clientId);
    for (const kind of ['o', 'q'] as const) {
      for (const key of await listKeys(this.kv, `${this.key(kind, clientId)}.*`)) {
        const id = Number(key.split('.')[3]);
        const rewritten = kind === 'o' ? later.outbound.has(id) : later.incomingQos2.has(id);
        if (!rewritten) this.writer.delete(key);
      }
    }
  }

  saveOutbound(clientId: string, record: OutboundRecord): void {
    this.writable();
    const keys = this.keysOf(clientId);
    keys.outbound.add(record.seq);
    keys.completed.delete(record.seq);
    // A snapshot now, encoded only if its group goes before an acknowledgement cancels it.
    const snapshot = {
      ...record,
      subscriptionIdentifiers: record.subscriptionIdentifiers?.slice(),
    };
    // A message for a connected client is usually acknowledged before its record would go.
    // A released QoS 2 record goes at once: its PUBREL waits for it [MQTT-4.3.3-5].
    this.writer.put(
      this.key('o', clientId, record.seq),
      () => JSON.stringify({ clientId, record: encodeOutbound(snapshot) }),
      record.state === 'pubrel' ? 'now' : 'held',
    );
  }

  deleteOutbound(clientId: string, seq: number, completed?: string): void {
    this.writable();
    if (completed === undefined) {
      this.keys.get(clientId)?.outbound.delete(seq);
      this.writer.delete(this.key('o', clientId, seq));
      return;
    }
    // The record gives way to a marker of the message, in one write.
    const at = Date.now();
    this.keysOf(clientId).outbound.add(seq);
    this.writer.put(this.key('o', clientId, seq), JSON.stringify({ clientId, completed, at }));
    this.marked(clientId, seq, at);
  }

  /** A completed marker, removed once its time is over (RecentIds keeps no id longer). */
  private marked(clientId: string, seq: number, at: number): void {
    this.keysOf(clientId).completed.add(seq);
    this.markers.push({ clientId, seq, due: at + this.markerMs });
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(SWEEP_MS, this.markerMs)).unref();
  }

  private sweep(now = Date.now()): void {
    let done = 0;
    for (const marker of this.markers) {
      if (marker.due > now) break;
      done++;
      const keys = this.keys.get(marker.clientId);
      if (keys === undefined || !keys.completed.delete(marker.seq)) continue;
      keys.outbound.delete(marker.seq);
      if (!this.closed) this.writer.delete(this.key('o', marker.clientId, marker.seq));
    }
    this.markers = this.markers.slice(done);
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    this.writable();
    this.keysOf(clientId).incomingQos2.add(packetId);
    // After the records of the message for its subscribers here: found without them after a
    // crash, the id would make the resend look delivered.
    this.writer.put(this.key('q', clientId, packetId), JSON.stringify({ clientId }), 'after-held');
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.writable();
    this.keys.get(clientId)?.incomingQos2.delete(packetId);
    this.writer.delete(this.key('q', clientId, packetId));
  }

  /**
   * Resolves once every record written so far is in the bucket (replicated), or was deleted
   * before it had to be (kv-writer.ts flushPuts); rejects if one failed.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.scans]);
    await this.writer.flushPuts();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.scans]).catch(() => {});
    await this.writer.flush().catch(() => {});
  }
}
