// The in-memory stores (--store memory), the reference for every other store. Records live in
// Maps held by a data object that outlives the store: a broker restarted in the same process
// can open a new store on the same data and load what the old one kept.
//
// Like a store that serializes, a save takes a snapshot of the record's own fields, so the
// broker may go on changing its live objects. Messages and their payloads are shared, not
// copied: the broker treats a MessageRecord as immutable once created.
import type {
  Ban,
  BanKind,
  MessageRecord,
  OutboundRecord,
  PersistedSessions,
  RetainedStore,
  SessionRecord,
  SessionStore,
} from '../broker/ports.js';

export interface MemorySessionData {
  sessions: Map<string, SessionRecord>;
  /** Per client, by seq. */
  outbound: Map<string, Map<number, OutboundRecord>>;
  incomingQos2: Map<string, Set<number>>;
  /** By banKey(kind, value). */
  bans: Map<string, Ban>;
}

export function createMemorySessionData(): MemorySessionData {
  return { sessions: new Map(), outbound: new Map(), incomingQos2: new Map(), bans: new Map() };
}

const banKey = (kind: BanKind, value: string) => `${kind}/${value}`;

export class MemorySessionStore implements SessionStore {
  private closed = false;

  constructor(readonly data: MemorySessionData = createMemorySessionData()) {}

  async load(): Promise<PersistedSessions> {
    this.writable();
    const outbound = new Map<string, OutboundRecord[]>();
    for (const [clientId, records] of this.data.outbound) {
      outbound.set(clientId, [...records.values()].sort(bySeq).map(copyOutbound));
    }
    const incomingQos2 = new Map<string, number[]>();
    for (const [clientId, packetIds] of this.data.incomingQos2) {
      incomingQos2.set(
        clientId,
        [...packetIds].sort((a, b) => a - b),
      );
    }
    const sessions = [...this.data.sessions.values()].map(copySession);
    const bans = [...this.data.bans.values()].map((ban) => ({ ...ban }));
    return { sessions, outbound, incomingQos2, bans };
  }

  saveSession(record: SessionRecord): void {
    this.writable().sessions.set(record.clientId, copySession(record));
  }

  deleteSession(clientId: string): void {
    const data = this.writable();
    data.sessions.delete(clientId);
    data.outbound.delete(clientId);
    data.incomingQos2.delete(clientId);
  }

  saveOutbound(clientId: string, record: OutboundRecord): void {
    const data = this.writable();
    let records = data.outbound.get(clientId);
    if (!records) data.outbound.set(clientId, (records = new Map()));
    records.set(record.seq, copyOutbound(record));
  }

  deleteOutbound(clientId: string, seq: number): void {
    const records = this.writable().outbound.get(clientId);
    if (records?.delete(seq) && records.size === 0) this.data.outbound.delete(clientId);
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    const data = this.writable();
    let packetIds = data.incomingQos2.get(clientId);
    if (!packetIds) data.incomingQos2.set(clientId, (packetIds = new Set()));
    packetIds.add(packetId);
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    const packetIds = this.writable().incomingQos2.get(clientId);
    if (packetIds?.delete(packetId) && packetIds.size === 0)
      this.data.incomingQos2.delete(clientId);
  }

  saveBan(ban: Ban): void {
    this.writable().bans.set(banKey(ban.kind, ban.value), { ...ban });
  }

  deleteBan(kind: BanKind, value: string): void {
    this.writable().bans.delete(banKey(kind, value));
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private writable(): MemorySessionData {
    if (this.closed) throw new Error('culex: the session store is closed');
    return this.data;
  }
}

export class MemoryRetainedStore implements RetainedStore {
  private closed = false;

  /** `data`: retained messages by topic. */
  constructor(readonly data: Map<string, MessageRecord> = new Map()) {}

  async load(): Promise<MessageRecord[]> {
    return [...this.writable().values()];
  }

  save(message: MessageRecord): void {
    this.writable().set(message.topic, message);
  }

  delete(topic: string): void {
    this.writable().delete(topic);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private writable(): Map<string, MessageRecord> {
    if (this.closed) throw new Error('culex: the retained store is closed');
    return this.data;
  }
}

const bySeq = (a: OutboundRecord, b: OutboundRecord) => a.seq - b.seq;

function copySession(record: SessionRecord): SessionRecord {
  const copy = { ...record, subscriptions: record.subscriptions.map((s) => ({ ...s })) };
  if (record.delayedWill) copy.delayedWill = { ...record.delayedWill };
  return copy;
}

function copyOutbound(record: OutboundRecord): OutboundRecord {
  const copy = { ...record };
  if (record.subscriptionIdentifiers) {
    copy.subscriptionIdentifiers = [...record.subscriptionIdentifiers];
  }
  return copy;
}
