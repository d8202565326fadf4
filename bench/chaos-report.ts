// What bench:chaos prints after its run: per QoS, published / acknowledged / received /
// lost / duplicated, the lost messages with the kills around them, the clients' reconnects
// and the nodes' warnings; then one JSON line (the test reads it). The real numbers, always.
import type { ConnectionLog, Publisher, Qos, Sent, Subscriber } from './chaos-clients.js';
import type { ChaosNode } from './chaos-processes.js';

export interface Kill {
  node: string;
  /** ms from the start of the run. */
  at: number;
  downMs: number;
  /** ms the restarted node took to listen. */
  restartMs: number;
}

export interface Figures {
  published: number;
  /** PUBACK (QoS 1) or PUBCOMP (QoS 2) received by the publisher. */
  acked: number;
  /** Distinct messages the subscriber received. */
  received: number;
  /** Acknowledged and never received. */
  lost: number;
  /** Received more than once. */
  duplicated: number;
  /** Neither acknowledged nor received (allowed: the publisher never heard back). */
  unacknowledgedMissing: number;
  /** Publishes whose callback reported an error (e.g. a PUBACK reason code >= 0x80). */
  errors: number;
}

interface Run {
  seed: number;
  seconds: number;
  natsServers: number;
  kills: Kill[];
  publishers: Publisher[];
  subscribers: Subscriber[];
  nodes: ChaosNode[];
}

function figures(sent: Sent[], received: (m: Sent) => number): Figures {
  const f: Figures = {
    published: sent.length,
    acked: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    unacknowledgedMissing: 0,
    errors: 0,
  };
  for (const m of sent) {
    const times = received(m);
    const acked = m.ackedAt !== undefined;
    if (acked) f.acked++;
    if (times > 0) f.received++;
    if (times > 1) f.duplicated++;
    if (acked && times === 0) f.lost++;
    if (!acked && times === 0) f.unacknowledgedMissing++;
    if (m.error !== undefined) f.errors++;
  }
  return f;
}

/** The nodes' warnings and errors, counted by message (pino JSON lines, else the line). */
function nodeWarnings(nodes: ChaosNode[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of nodes) {
    // Pino's JSON lines; the start-up banner is plain text.
    for (const line of node.log.filter((l) => l.startsWith('{'))) {
      let text = line.slice(0, 160);
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: unknown };
        const err = typeof entry.err === 'string' ? `: ${entry.err.slice(0, 100)}` : '';
        text = `${entry.msg ?? line}${err}`;
      } catch {
        // not JSON: the line itself
      }
      const key = `${node.name}: ${text}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

function total(logs: ConnectionLog[]) {
  const disconnects: Record<string, number> = {};
  for (const log of logs)
    for (const [code, n] of Object.entries(log.disconnects))
      disconnects[code] = (disconnects[code] ?? 0) + n;
  return {
    reconnects: logs.reduce((a, l) => a + Math.max(0, l.connacks - 1), 0),
    sessionsLost: logs.reduce((a, l) => a + l.sessionsLost, 0),
    disconnects,
  };
}

function describeLost(m: Sent, kills: Kill[]): string {
  const near = kills
    .filter((k) => k.at <= (m.ackedAt ?? m.sentAt) + 1_000 && m.sentAt <= k.at + k.downMs + 10_000)
    .map((k) => `${k.node} killed at ${(k.at / 1000).toFixed(1)} s for ${k.downMs} ms`);
  const acked = m.ackedAt === undefined ? '' : `, acked ${(m.ackedAt / 1000).toFixed(2)} s`;
  return `  ${m.key} QoS ${m.qos} -> ${m.subscriber}: sent ${(m.sentAt / 1000).toFixed(2)} s${acked}; ${near.join('; ') || 'no kill near it'}`;
}

export function summarize(run: Run): { ok: boolean } {
  const bySubscriber = new Map(run.subscribers.map((s) => [s.clientId, s]));
  const times = (m: Sent) => bySubscriber.get(m.subscriber)!.received.get(m.key) ?? 0;
  const sent = run.publishers.flatMap((p) => p.sent);
  const qos = (q: Qos) =>
    figures(
      sent.filter((m) => m.qos === q),
      times,
    );
  const [q1, q2] = [qos(1), qos(2)];
  // A session lost is a promise broken too, even when no message happened to need it.
  const sessionsLost = [...run.subscribers, ...run.publishers].reduce(
    (n, c) => n + c.log.sessionsLost,
    0,
  );
  const ok = q1.lost === 0 && q2.lost === 0 && q2.duplicated === 0 && sessionsLost === 0;
  console.log(
    `\nkills: ${run.kills.map((k) => `${k.node}@${(k.at / 1000).toFixed(1)}s`).join(' ') || 'none'}`,
  );
  console.log('QoS  published  acked  received  lost  duplicated  unacked-missing  errors');
  for (const [name, f] of [
    ['1', q1],
    ['2', q2],
  ] as const) {
    console.log(
      `${name.padEnd(4)} ${String(f.published).padStart(9)} ${String(f.acked).padStart(6)} ${String(f.received).padStart(9)} ${String(f.lost).padStart(5)} ${String(f.duplicated).padStart(11)} ${String(f.unacknowledgedMissing).padStart(16)} ${String(f.errors).padStart(7)}`,
    );
  }
  const lost = sent.filter((m) => m.ackedAt !== undefined && times(m) === 0);
  if (lost.length > 0) {
    console.log(`LOST: ${lost.length} acknowledged messages never arrived (first 20):`);
    for (const m of lost.slice(0, 20)) console.log(describeLost(m, run.kills));
  }
  for (const c of [...run.subscribers, ...run.publishers])
    for (const at of c.log.lostAt) console.log(`SESSION LOST: ${c.clientId} at ${at}`);
  const dup2 = sent.filter((m) => m.qos === 2 && times(m) > 1);
  if (dup2.length > 0) {
    console.log(`QoS 2 DUPLICATES: ${dup2.length} (first 20):`);
    for (const m of dup2.slice(0, 20)) {
      const how = bySubscriber.get(m.subscriber)!.deliveries.get(m.key) ?? [];
      console.log(`${describeLost(m, run.kills)} (${times(m)}×: ${how.join('; ')})`);
    }
  }
  const errors: Record<string, number> = {};
  for (const m of sent.filter((m) => m.error !== undefined))
    errors[m.error!] = (errors[m.error!] ?? 0) + 1;
  if (Object.keys(errors).length > 0) console.log(`publish errors: ${JSON.stringify(errors)}`);
  const inFlight = run.publishers.reduce((a, p) => a + p.pending, 0);
  if (inFlight > 0)
    console.log(
      `STALLED: ${inFlight} messages still unacknowledged after the drain (${run.publishers
        .filter((p) => p.pending > 0)
        .map((p) => `${p.clientId}: ${p.pending}`)
        .join(', ')})`,
    );
  const publishers = { ...total(run.publishers.map((p) => p.log)), inFlightAtEnd: inFlight };
  const subscribers = total(run.subscribers.map((s) => s.log));
  console.log(`publishers: ${JSON.stringify(publishers)}`);
  console.log(`subscribers: ${JSON.stringify(subscribers)}`);
  const warnings = nodeWarnings(run.nodes);
  if (Object.keys(warnings).length > 0) {
    console.log('node warnings and errors (count):');
    for (const [text, n] of Object.entries(warnings)) console.log(`  ${n}× ${text}`);
  }
  console.log(
    ok
      ? 'chaos: OK'
      : 'chaos: FAILED (acknowledged messages lost, QoS 2 duplicated, or a session lost)',
  );
  const summary = {
    chaos: {
      ok,
      seed: run.seed,
      seconds: run.seconds,
      nodes: run.nodes.length,
      natsServers: run.natsServers,
      kills: run.kills,
      qos1: q1,
      qos2: q2,
      publishers,
      subscribers,
      lost: lost.slice(0, 50).map((m) => m.key),
    },
  };
  console.log(JSON.stringify(summary));
  return { ok };
}
