// `culex check URL`: runs the conformance and robustness checks of src/check/ against any
// broker and prints the report. Exit 0 when no check fails, 1 when one does (or the broker
// cannot be reached), 2 on bad usage.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import {
  ALL_CHECKS,
  AREAS,
  type Area,
  DEFAULT_RATE,
  DEFAULT_TIMEOUT,
  formatJson,
  formatText,
  runChecks,
  type Target,
} from '../check/index.js';
import { parseInteger, usageError } from './client-options.js';

interface CheckFlags {
  username?: string;
  pw?: string;
  cafile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  idPrefix?: string;
  json?: boolean;
  only?: string;
  protocol?: 4 | 5;
  timeout: number;
  rate: number;
  concurrency: number;
  hostile?: boolean;
}

const SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

function parseProtocol(value: string): 4 | 5 {
  if (['3.1.1', '311', '4'].includes(value)) return 4;
  if (['5', '5.0'].includes(value)) return 5;
  throw new InvalidArgumentError('expected 3.1.1 or 5');
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check a broker against MQTT 3.1.1 and 5.0 and report where it deviates')
    .helpOption('--help', 'show help')
    .argument('<url>', 'mqtt://host:port, mqtts://, ws://host:port/path or wss://')
    .option('-u, --username <username>', 'user name')
    .option('-P, --pw <password>', 'password')
    .option('--cafile <file>', 'CA certificates (PEM) to verify the broker')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client private key (PEM)')
    .option('--insecure', 'do not verify the broker certificate')
    .option('-I, --id-prefix <prefix>', 'client identifier prefix (a run id is added)', 'cx')
    .option('--json', 'print the report as JSON')
    .option('--only <areas>', `comma-separated areas: ${AREAS.join(', ')}`)
    .option('--protocol <version>', 'check only MQTT 3.1.1 or 5', parseProtocol)
    .option(
      '--timeout <ms>',
      'wait this long for an answer; silence is awaited a fifth of it',
      parseInteger(50, 60_000),
      DEFAULT_TIMEOUT,
    )
    .option(
      '--rate <n>',
      'at most this many connections and packets per second',
      parseInteger(1, 100_000),
      DEFAULT_RATE,
    )
    .option('--concurrency <n>', 'checks run at once', parseInteger(1, 64), 8)
    .option('--hostile', 'also run floods, oversized and malformed packets (not for production)')
    .action((url: string, flags: CheckFlags, command: Command) => check(url, flags, command));
}

function parseAreas(command: Command, only: string | undefined): Area[] | undefined {
  if (only === undefined) return undefined;
  const areas = only.split(',').map((a) => a.trim());
  const unknown = areas.filter((a) => !(AREAS as readonly string[]).includes(a));
  if (unknown.length > 0)
    usageError(command, `unknown area ${unknown.join(', ')} (areas: ${AREAS.join(', ')})`);
  return areas as Area[];
}

function target(command: Command, url: string, flags: CheckFlags): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    usageError(command, `not a URL: ${url}`);
  }
  if (!SCHEMES.includes(parsed.protocol))
    usageError(command, `expected mqtt://, mqtts://, ws:// or wss://, got ${parsed.protocol}//`);
  const secure = parsed.protocol === 'mqtts:' || parsed.protocol === 'wss:';
  return {
    url: parsed,
    username: flags.username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined),
    password: flags.pw ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined),
    tls: secure
      ? {
          ca: flags.cafile ? readFileSync(flags.cafile, 'utf8') : undefined,
          cert: flags.cert ? readFileSync(flags.cert, 'utf8') : undefined,
          key: flags.key ? readFileSync(flags.key, 'utf8') : undefined,
          rejectUnauthorized: !flags.insecure,
        }
      : undefined,
  };
}

async function check(url: string, flags: CheckFlags, command: Command): Promise<void> {
  const areas = parseAreas(command, flags.only);
  try {
    const report = await runChecks({
      target: target(command, url, flags),
      checks: ALL_CHECKS,
      areas,
      versions: flags.protocol === undefined ? undefined : [flags.protocol],
      hostile: flags.hostile,
      timeout: flags.timeout,
      rate: flags.rate,
      concurrency: flags.concurrency,
      clientIdPrefix: flags.idPrefix,
    });
    process.stdout.write(flags.json ? formatJson(report) : formatText(report));
    process.exitCode = report.results.some((r) => r.outcome === 'fail') ? 1 : 0;
  } catch (error) {
    process.stderr.write(`Error: cannot check ${url}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
