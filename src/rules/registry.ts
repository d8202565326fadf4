// Which rules read which source: one subscription trie over all rules' topic filters (a
// message costs one trie walk, not a loop over rules), and lists per event and per bridge.
import { SubscriptionIndex } from '../topic/index.js';
import { EVENT_PREFIX, type EventName } from './events.js';

export const BRIDGE_PREFIX = '$bridges/mqtt:';

export interface Registered {
  readonly id: string;
  /** Creation order: rules matching one input run in this order. */
  readonly seq: number;
}

export type Source =
  | { kind: 'topic'; filter: string }
  | { kind: 'event'; event: EventName }
  | { kind: 'bridge'; connector: string };

/** What a FROM entry (as compileRule checked it) names. */
export function parseSource(source: string): Source {
  // compileRule has refused unknown events and malformed filters already.
  if (source.startsWith(EVENT_PREFIX))
    return { kind: 'event', event: source.slice(EVENT_PREFIX.length) };
  if (source.startsWith(BRIDGE_PREFIX))
    return { kind: 'bridge', connector: source.slice(BRIDGE_PREFIX.length) };
  return { kind: 'topic', filter: source };
}

export class RuleRegistry<R extends Registered> {
  private readonly topics = new SubscriptionIndex<R>();
  readonly events = new Map<EventName, R[]>();
  readonly bridges = new Map<string, R[]>();
  /** match()'s answers by the index's: gone with them when the index drops its cache. */
  private readonly ordered = new WeakMap<readonly R[], readonly R[]>();

  get topicRules(): number {
    return this.topics.size;
  }

  add(rule: R, sources: readonly Source[]): void {
    for (const s of sources) {
      if (s.kind === 'topic') this.topics.add(s.filter, rule.id, rule);
      else if (s.kind === 'event') addTo(this.events, s.event, rule);
      else addTo(this.bridges, s.connector, rule);
    }
  }

  remove(rule: R, sources: readonly Source[]): void {
    for (const s of sources) {
      if (s.kind === 'topic') this.topics.remove(s.filter, rule.id);
      else if (s.kind === 'event') removeFrom(this.events, s.event, rule);
      else removeFrom(this.bridges, s.connector, rule);
    }
  }

  /**
   * The rules a topic matches, in creation order; the same rule once even if two filters
   * match. Shared arrays: callers must not change them.
   */
  match(topic: string): readonly R[] {
    const found = this.topics.match(topic);
    if (found.length < 2) return found;
    // The index shares one array per cached topic: order it once, not per message.
    let ordered = this.ordered.get(found);
    if (ordered === undefined) {
      ordered = [...new Set(found)].sort((a, b) => a.seq - b.seq);
      this.ordered.set(found, ordered);
    }
    return ordered;
  }
}

function addTo<K, R extends Registered>(map: Map<K, R[]>, key: K, rule: R): void {
  const list = map.get(key) ?? [];
  if (!list.includes(rule)) list.push(rule);
  list.sort((a, b) => a.seq - b.seq);
  map.set(key, list);
}

function removeFrom<K, R>(map: Map<K, R[]>, key: K, rule: R): void {
  const list = map.get(key)?.filter((r) => r !== rule) ?? [];
  if (list.length === 0) map.delete(key);
  else map.set(key, list);
}
