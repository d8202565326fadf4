// `culex cluster status`: the nodes of a cluster, as the HTTP API of any node reports them.
import type { Command } from 'commander';
import type { ClusterNodes } from '../broker/admin-wire.js';

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('inspect a Culex cluster');
  cluster
    .command('status')
    .description('list the nodes of the cluster, with their state and figures')
    .option('--http <url>', 'HTTP API of any node', 'http://127.0.0.1:18083')
    .option('--api-key <key>', 'API key (env CULEX_API_KEY)')
    .option('--json', 'print the API answer as JSON')
    .action(async (flags: { http: string; apiKey?: string; json?: boolean }) => {
      process.exitCode = await status(flags);
    });
}

async function status(flags: { http: string; apiKey?: string; json?: boolean }): Promise<number> {
  const key = flags.apiKey ?? process.env.CULEX_API_KEY;
  const url = new URL('/api/v1/cluster/nodes', flags.http);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    process.stderr.write(`culex: cannot reach ${url.origin}: ${(error as Error).message}\n`);
    return 1;
  }
  const body = (await response.json().catch(() => ({}))) as Partial<ClusterNodes> & {
    error?: string;
    message?: string;
  };
  if (!response.ok) {
    process.stderr.write(
      `culex: ${url.href}: ${response.status} ${body.message ?? body.error ?? ''}\n`,
    );
    return 1;
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`asked node ${body.node} (link to NATS ${body.linked ? 'up' : 'DOWN'})\n`);
  const rows = [
    ['node', 'state', 'heard', 'clients', 'sessions', 'subscriptions', 'msgs in', 'msgs out'],
  ];
  for (const n of [...(body.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
    const f = n.figures;
    rows.push([
      n.name,
      n.state,
      `${(n.lastHeard / 1000).toFixed(1)} s ago`,
      ...[f.clients, f.sessions, f.subscriptions, f.messagesReceived, f.messagesSent].map((v) =>
        String(v ?? '-'),
      ),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  return body.nodes?.every((n) => n.state === 'up') ? 0 : 2;
}
