// `culex start`: the command and its flags; what it runs is in start-server.ts.
import type { Command } from 'commander';
import { CulexError } from '../errors.js';
import type { StartFlags } from './start-server.js';
import {
  applyWorker,
  reportReady,
  WorkerSupervisor,
  workerCount,
  workerIndex,
  workerNats,
} from './workers.js';

type StartOptions = StartFlags & { printConfig?: boolean; workers?: string };

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the MQTT broker')
    .option('-c, --config <file>', 'YAML configuration file (env CULEX_CONFIG)')
    .option(
      '--host <address>',
      'address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: all)',
    )
    .option('--port <port>', 'MQTT over TCP port (default 1883)')
    .option('--ws-port <port>', 'MQTT over WebSocket port, 0 disables (default 8083)')
    .option('--store <type>', 'memory or lmdb')
    .option('--data-dir <dir>', 'data directory of the lmdb store (default ./data)')
    .option('--durability <mode>', 'sync or periodic')
    .option(
      '--http-port <port>',
      'HTTP API, /metrics and dashboard port, 0 disables (default 18083)',
    )
    .option('--http-host <address>', 'address of the HTTP API (default 127.0.0.1)')
    .option('--cluster <urls>', 'join a cluster over NATS: nats://h1:4222,nats://h2:4222')
    .option('--node-name <name>', "this node's name in the cluster, unique (default: host name)")
    .option(
      '--workers <n>',
      'run N broker processes sharing the ports, as cluster nodes (auto: one per core)',
    )
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent')
    .option('--print-config', 'print the effective configuration (YAML, secrets redacted); exit')
    .action(async ({ printConfig, workers, ...flags }: StartOptions) => {
      const { buildConfig, onSignals, printableConfig, startServer } = await import(
        './start-server.js'
      );
      try {
        // A --workers process: the supervisor's NATS unless the configuration names one.
        const worker = workerIndex();
        if (worker !== undefined) flags.cluster ??= workerNats();
        const supervisor = workers !== undefined && worker === undefined;
        const config = buildConfig(flags, process.env, supervisor);
        if (printConfig) {
          process.stdout.write(printableConfig(config));
          return;
        }
        if (supervisor) {
          await WorkerSupervisor.start(config, workerCount(workers));
          return;
        }
        if (worker !== undefined) applyWorker(config, worker);
        // One banner per machine: worker 1's (it has the HTTP port).
        const server = await startServer(config, { banner: worker === undefined || worker === 1 });
        onSignals(server);
        reportReady();
      } catch (error) {
        if (error instanceof CulexError) {
          process.stderr.write(`culex: ${error.message} (${error.code})\n`);
          process.exit(1);
        }
        throw error;
      }
    });
}
