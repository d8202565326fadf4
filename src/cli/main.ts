#!/usr/bin/env node
// The `culex` command.
import { Command } from 'commander';
import { CULEX_VERSION } from '../broker/sys.js';
import { registerApikey } from './apikey.js';
import { registerBench } from './bench.js';
import { registerCluster } from './cluster.js';
import { registerPasswd } from './passwd.js';
import { registerPub } from './pub.js';
import { registerStart } from './start.js';
import { registerSub } from './sub.js';

const program = new Command('culex');
program
  .description('Culex MQTT broker and tools')
  .version(CULEX_VERSION)
  .helpOption('--help', 'show help');
registerStart(program);
registerPasswd(program);
registerApikey(program);
registerPub(program);
registerSub(program);
registerBench(program);
registerCluster(program);
await program.parseAsync(process.argv);
