// The `culex` program: every command on one commander tree. main.ts parses process.argv
// with it; tests walk it to check that every flag reaches its own command.
import { Command } from 'commander';
import { CULEX_VERSION } from '../broker/sys.js';
import { registerApikey } from './apikey.js';
import { registerBench } from './bench.js';
import { registerCheck } from './check.js';
import { registerCluster } from './cluster.js';
import { registerPasswd } from './passwd.js';
import { exitOnUsageError } from './client-options.js';
import { registerPub } from './pub.js';
import { registerSn } from './sn.js';
import { registerStart } from './start.js';
import { registerSub } from './sub.js';

export function buildProgram(): Command {
  const program = new Command('culex');
  program
    .description('Culex MQTT broker and tools')
    .version(CULEX_VERSION)
    .helpOption('--help', 'show help')
    // Program options only before the command name: otherwise `culex pub -V 5` is taken as
    // the program's -V (--version), prints the version and exits 0 without publishing.
    .enablePositionalOptions();
  registerStart(program);
  registerPasswd(program);
  registerApikey(program);
  registerPub(program);
  registerSub(program);
  registerBench(program);
  registerCluster(program);
  registerCheck(program);
  registerSn(program);
  // Bad usage exits 2 everywhere (unknown flag, missing argument, unknown command), not only
  // in the commands that remembered to ask for it.
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) exitOnUsageError(command);
  return program;
}
