// The `culex` program as src/cli/main.ts builds it, reduced to the client commands, so the
// CLI tests run the real pub/sub/bench code in a child process.
import { Command } from 'commander';
import { registerBench } from '../../src/cli/bench.js';
import { registerPub } from '../../src/cli/pub.js';
import { registerSub } from '../../src/cli/sub.js';

const program = new Command('culex').helpOption('--help', 'show help');
registerPub(program);
registerSub(program);
registerBench(program);
await program.parseAsync(process.argv);
