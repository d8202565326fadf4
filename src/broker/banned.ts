// Banned clients: by client id, username or IP address, each with an optional expiry. Checked
// at CONNECT (refused with 0x8A Banned) through BrokerCore.banned.

import type { Ban, BanKind } from './admin-wire.js';

/** Where bans are kept across restarts (the SessionStore). */
export interface BanPersistence {
  saveBan(ban: Ban): void;
  deleteBan(kind: BanKind, value: string): void;
}

export class BannedClients {
  private readonly byKind: Record<BanKind, Map<string, Ban>> = {
    clientId: new Map(),
    username: new Map(),
    ip: new Map(),
  };

  constructor(
    private readonly now: () => number,
    private readonly store?: BanPersistence,
  ) {}

  /** The bans loaded from the store at start-up; expired ones are deleted there. */
  restore(bans: readonly Ban[]): void {
    for (const ban of bans) {
      this.byKind[ban.kind].set(ban.value, ban);
      this.get(ban.kind, ban.value);
    }
  }

  get size(): number {
    return this.byKind.clientId.size + this.byKind.username.size + this.byKind.ip.size;
  }

  add(ban: Ban): void {
    this.byKind[ban.kind].set(ban.value, ban);
    this.store?.saveBan(ban);
  }

  /** A ban the cluster keeps (made on any node): applied here, stored there. */
  apply(ban: Ban): void {
    this.byKind[ban.kind].set(ban.value, ban);
  }

  remove(kind: BanKind, value: string): boolean {
    if (!this.byKind[kind].delete(value)) return false;
    this.store?.deleteBan(kind, value);
    return true;
  }

  get(kind: BanKind, value: string): Ban | undefined {
    const ban = this.byKind[kind].get(value);
    if (ban === undefined) return undefined;
    if (ban.until !== undefined && ban.until <= this.now()) {
      this.remove(kind, value);
      return undefined;
    }
    return ban;
  }

  /** Live bans, expired ones dropped on the way. */
  list(): Ban[] {
    const out: Ban[] = [];
    for (const map of Object.values(this.byKind)) {
      for (const ban of [...map.values()]) if (this.get(ban.kind, ban.value)) out.push(ban);
    }
    return out;
  }

  isBanned(clientId: string, username: string | undefined, ip: string): boolean {
    if (this.size === 0) return false;
    return (
      this.get('clientId', clientId) !== undefined ||
      (username !== undefined && this.get('username', username) !== undefined) ||
      this.get('ip', normalizeIp(ip)) !== undefined
    );
  }
}

/** IPv4-mapped IPv6 addresses (::ffff:1.2.3.4) are banned by their IPv4 form. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
