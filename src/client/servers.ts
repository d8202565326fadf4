// The brokers a client may use, in turn: which one to try next after a connection is lost
// or an attempt fails, how long to wait first, and where a 5.0 server redirects it.
//
// The list is walked round robin. The first attempt after a loss waits the reconnect policy's
// first delay; the other servers of a round follow at once; between full rounds the backoff
// grows as it does for one server. A server that sends the client away moves it on at once:
// CONNACK 0x88 (Server unavailable; not a DISCONNECT code [MQTT-3.14.2-1]), CONNACK or
// DISCONNECT 0x89 (Server busy), 0x8B (Server shutting down; DISCONNECT only), 0x9C (Use
// another server) and 0x9D (Server moved).
// MQTT 5.0 §4.11 (Server redirection; it has no numbered statements): 0x9C / 0x9D may carry
// a Server Reference, a space-separated list of references; 0x9C sends the client there for
// the next attempt only, 0x9D for good (the references take the server's place in the list).
import { ReasonCode } from '../protocol/constants.js';
import { ConnectionRefusedError, ServerDisconnectError, invalidArgument } from './errors.js';
import {
  type BrokerAddress,
  type ReconnectOptions,
  parseBrokerUrl,
  reconnectDelay,
} from './options.js';
import { formatHost } from './transport.js';

const MOVE_AT_ONCE: ReadonlySet<number> = new Set([
  ReasonCode.ServerUnavailable,
  ReasonCode.ServerBusy,
  ReasonCode.ServerShuttingDown,
  ReasonCode.UseAnotherServer,
  ReasonCode.ServerMoved,
]);

/** Server References followed in a row without a successful CONNACK, so two servers that
 * point at each other cannot keep a client bouncing. */
const MAX_REDIRECTS = 8;

/** Why the last connection or attempt ended, as far as the server said. */
export interface LeaveReason {
  reasonCode?: number;
  serverReference?: string;
}

/** What a failure says about where to go next: a refusing CONNACK's or DISCONNECT's reason. */
export function leaveReason(error: unknown): LeaveReason {
  if (error instanceof ConnectionRefusedError || error instanceof ServerDisconnectError) {
    return { reasonCode: error.reasonCode, serverReference: error.serverReference };
  }
  return {};
}

export class ServerList {
  readonly #servers: BrokerAddress[];
  /** The list entry in use, or to try next. */
  #index = 0;
  /** One-shot targets of a 0x9C Server Reference, tried before the list. */
  #redirects: BrokerAddress[] = [];
  /** The address of the current attempt or connection, and whether it came from #redirects. */
  #current: BrokerAddress;
  #currentIsRedirect = false;
  /** Failed attempts at list entries since the last successful CONNACK. */
  #failures = 0;
  #redirectsFollowed = 0;
  /** The next attempt may go at once (the server asked the client to move on). */
  #moveAtOnce = false;
  /** Attempts made at once since the last one that waited: bounded, so no busy loop. */
  #quickMoves = 0;

  constructor(urls: string | URL | readonly (string | URL)[]) {
    const list = typeof urls === 'string' || urls instanceof URL ? [urls] : urls;
    if (list.length === 0) throw invalidArgument('No broker URL given');
    this.#servers = list.map((url) => parseBrokerUrl(url));
    this.#current = this.#servers[0]!;
  }

  /** The server of the current connection or attempt. */
  get current(): BrokerAddress {
    return this.#current;
  }

  /** The servers in the order they are tried (0x9D replaces entries). */
  get addresses(): readonly BrokerAddress[] {
    return this.#servers;
  }

  /** Every list entry failed once since the last successful CONNACK (or since the start). */
  get roundFailed(): boolean {
    return this.#redirects.length === 0 && this.#failures >= this.#servers.length;
  }

  /** Picks the address of the next attempt: a pending redirect first, else the list entry. */
  take(): BrokerAddress {
    const redirect = this.#redirects.shift();
    this.#currentIsRedirect = redirect !== undefined;
    this.#current = redirect ?? this.#servers[this.#index]!;
    return this.#current;
  }

  /** CONNACK accepted on the current address. */
  connected(): void {
    this.#failures = 0;
    this.#redirectsFollowed = 0;
    this.#moveAtOnce = false;
  }

  /** The established connection ended. */
  lost(reason: LeaveReason = {}): void {
    this.#leave(reason);
  }

  /** An attempt failed (transport, timeout, or a refusing CONNACK). */
  failed(reason: LeaveReason = {}): void {
    const listEntry = !this.#currentIsRedirect;
    // An entry replaced by 0x9D references did not fail: its successors are yet to be tried.
    if (!this.#leave(reason) && listEntry) this.#failures++;
  }

  /**
   * ms to wait before the next attempt: none within a round or when the server asked the
   * client to move on; the policy's backoff, by completed rounds, before a round begins.
   */
  nextDelay(policy: Required<ReconnectOptions>): number {
    const withinRound = this.#failures % this.#servers.length !== 0;
    // Moving on at once needs somewhere else to go: one broker that is shutting down is
    // retried with the backoff, as before.
    const asked = (this.#moveAtOnce && this.#servers.length > 1) || this.#redirects.length > 0;
    const atOnce = (withinRound || asked) && this.#quickMoves <= this.#servers.length;
    this.#moveAtOnce = false;
    if (atOnce) {
      this.#quickMoves++;
      return 0;
    }
    this.#quickMoves = 0;
    return reconnectDelay(policy, Math.floor(this.#failures / this.#servers.length));
  }

  /** Chooses what comes next; true when 0x9D references replaced the list entry. */
  #leave({ reasonCode, serverReference }: LeaveReason): boolean {
    this.#moveAtOnce = reasonCode !== undefined && MOVE_AT_ONCE.has(reasonCode);
    const redirect =
      reasonCode === ReasonCode.UseAnotherServer || reasonCode === ReasonCode.ServerMoved;
    const targets =
      redirect && serverReference && this.#redirectsFollowed < MAX_REDIRECTS
        ? parseServerReference(serverReference, this.#current)
        : [];
    if (targets.length > 0) this.#redirectsFollowed++;
    if (this.#currentIsRedirect) {
      // A redirect target is not in the list; the list entry to try next is already chosen.
      this.#redirects = targets.length > 0 ? targets : this.#redirects;
      return false;
    }
    if (reasonCode === ReasonCode.ServerMoved && targets.length > 0) {
      this.#servers.splice(this.#index, 1, ...targets);
      return true;
    }
    this.#redirects = targets;
    this.#index = (this.#index + 1) % this.#servers.length;
    return false;
  }
}

/**
 * The references of a Server Reference property: each a URL, or host[:port] (IPv6 in
 * brackets) meant with the current server's scheme, WebSocket path and credentials. The
 * spec leaves the format open; references that parse as neither are skipped.
 */
export function parseServerReference(value: string, current: BrokerAddress): BrokerAddress[] {
  const addresses: BrokerAddress[] = [];
  for (const reference of value.split(/\s+/)) {
    if (!reference) continue;
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(reference);
    try {
      const address = parseBrokerUrl(isUrl ? reference : `${current.scheme}://${reference}`);
      addresses.push(
        isUrl
          ? address
          : {
              ...address,
              path: current.path,
              username: current.username,
              password: current.password,
            },
      );
    } catch {
      // not a reference this client can use
    }
  }
  return addresses;
}

/** The address as a URL, without credentials: for events and logs. */
export function formatAddress(address: BrokerAddress): string {
  const base = `${address.scheme}://${formatHost(address.host)}:${address.port}`;
  return address.scheme === 'ws' || address.scheme === 'wss' ? `${base}${address.path}` : base;
}
