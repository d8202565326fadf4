#!/usr/bin/env node
// The `culex` command.
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
