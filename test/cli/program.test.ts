// The whole `culex` command tree, in process: every flag of every command must reach that
// command. A program-level option that shadows a command's flag (`culex pub -V 5` taken as
// --version: printed 0.1.0, exit 0, nothing published) fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { culex } from './run.js';

/** The path of names from the program to each command that runs an action (no subcommands). */
function leafPaths(command: Command, path: string[] = []): string[][] {
  if (command.commands.length === 0) return [path];
  return command.commands.flatMap((sub) => leafPaths(sub, [...path, sub.name()]));
}

function find(program: Command, path: string[]): Command {
  return path.reduce((command, name) => command.commands.find((c) => c.name() === name)!, program);
}

/** Values that satisfy the argument parsers of the flags (integers, versions, formats…). */
const CANDIDATE_VALUES = ['1', '5', '64', 'text', 'a=b', 'sync', '1=a/b'];

/** Parses `culex <path> <flag> [value]` with every action replaced; the leaf's command object. */
function parseWith(path: string[], flag: string, value: string | undefined): Command {
  const program = buildProgram();
  const all = [program, ...path.map((_, i) => find(program, path.slice(0, i + 1)))];
  for (const command of all) command.exitOverride().configureOutput({ writeErr: () => {} });
  const leaf = all.at(-1)!;
  leaf.action(() => {});
  const positionals = leaf.registeredArguments.filter((a) => a.required).map(() => 'arg');
  const argv = [...path, ...positionals, flag, ...(value === undefined ? [] : [value])];
  program.parse(argv, { from: 'user' });
  return leaf;
}

function reaches(path: string[], option: Option, flag: string): boolean {
  const values = option.required || option.optional ? CANDIDATE_VALUES : [undefined];
  for (const value of values) {
    let leaf: Command;
    try {
      leaf = parseWith(path, flag, value);
    } catch {
      continue; // a value this flag's parser refuses: try the next one
    }
    return leaf.getOptionValueSource(option.attributeName()) === 'cli';
  }
  return false;
}

describe('culex command line', () => {
  const program = buildProgram();
  const paths = leafPaths(program);

  it('has the commands the README lists', () => {
    const names = paths.map((p) => p.join(' '));
    for (const name of [
      'start',
      'passwd',
      'pub',
      'sub',
      'bench pub',
      'bench sub',
      'bench conn',
      'check',
      'sn pub',
      'sn sub',
    ])
      assert.ok(names.includes(name), `culex ${name}`);
  });

  const withOptions = paths.filter((path) => find(program, path).options.length > 0);
  it('most commands have flags', () => assert.ok(withOptions.length >= 8));
  for (const path of withOptions) {
    it(`every flag of culex ${path.join(' ')} reaches it (none is taken by the program)`, () => {
      for (const option of find(program, path).options) {
        for (const flag of [option.short, option.long].filter((f) => f !== undefined)) {
          assert.ok(reaches(path, option, flag), `culex ${path.join(' ')} ${flag}`);
        }
      }
    });
  }

  it('bad usage exits 2 in every command (the README says so): an unknown flag, command or missing argument', async () => {
    const cases = [
      ...paths.map((path) => [...path, '--no-such-flag']),
      ['no-such-command'],
      ['passwd'],
    ];
    const results = await Promise.all(cases.map((args) => culex(args)));
    results.forEach((result, i) => {
      assert.equal(result.status, 2, `culex ${cases[i]!.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /);
    });
  });

  it('culex -V and --version still print the version before a command', () => {
    for (const flag of ['-V', '--version']) {
      const program = buildProgram().exitOverride();
      let output = '';
      program.configureOutput({ writeOut: (s) => (output += s) });
      assert.throws(() => program.parse([flag], { from: 'user' }), { code: 'commander.version' });
      assert.match(output, /^\d+\.\d+\.\d+/);
    }
  });
});
