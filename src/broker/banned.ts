// Banned clients: by client id, username or IP address, each with an optional expiry. Checked
// at CONNECT (refused with 0x8A Banned) through BrokerCore.banned.

import type { Ban, BanKind } from './admin-wire.js';

export class BannedClients {
  private readonly byKind: Record<BanKind, Map<string, Ban>> = {
    clientId: new Map(),
    username: new Map(),
    ip: new Map(),
  };

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.byKind.clientId.size + this.byKind.username.size + this.byKind.ip.size;
  }

  add(ban: Ban): void {
    this.byKind[ban.kind].set(ban.value, ban);
  }

  remove(kind: BanKind, value: string): boolean {
    return this.byKind[kind].delete(value);
  }

  get(kind: BanKind, value: string): Ban | undefined {
    const ban = this.byKind[kind].get(value);
    if (ban === undefined) return undefined;
    if (ban.until !== undefined && ban.until <= this.now()) {
      this.byKind[kind].delete(value);
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
