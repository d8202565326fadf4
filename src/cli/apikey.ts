// `culex apikey`: API keys of the HTTP API, kept as SHA-256 digests in a YAML key file that the
// running broker re-reads when it changes; and password hashes for dashboard users.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import {
  type ApiKeyEntry,
  generateApiKey,
  hashApiKey,
  hashPassword,
  readKeyFile,
} from '../admin/auth.js';
import { defaultConfig, loadConfigFile } from '../config.js';
import { CulexError } from '../errors.js';

interface FileFlags {
  file?: string;
  config?: string;
}

/** --file, else the config's http.apiKeyFile, else <dataDir>/apikeys.yaml (as culex start). */
export function keyFileOf(flags: FileFlags, env: NodeJS.ProcessEnv): string {
  if (flags.file) return flags.file;
  const config = defaultConfig();
  const file = flags.config ?? env.CULEX_CONFIG;
  if (file) loadConfigFile(config, file);
  if (env.CULEX_DATA_DIR) config.dataDir = env.CULEX_DATA_DIR;
  return config.http.apiKeyFile ?? join(config.dataDir, 'apikeys.yaml');
}

function writeKeyFile(file: string, entries: ApiKeyEntry[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, entries.length === 0 ? '[]\n' : stringify(entries), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Adds a key named `name`; returns the key itself (shown once, never stored). */
export function createKey(file: string, name: string): string {
  const entries = readKeyFile(file);
  if (entries.some((e) => e.name === name))
    throw new Error(`an API key named '${name}' already exists in ${file}`);
  const key = generateApiKey();
  entries.push({ name, hash: hashApiKey(key), created: new Date().toISOString() } as ApiKeyEntry);
  writeKeyFile(file, entries);
  return key;
}

export function deleteKey(file: string, name: string): void {
  const entries = readKeyFile(file);
  const left = entries.filter((e) => e.name !== name);
  if (left.length === entries.length) throw new Error(`no API key named '${name}' in ${file}`);
  writeKeyFile(file, left);
}

function run(action: () => void): void {
  try {
    action();
  } catch (error) {
    const code = error instanceof CulexError ? ` (${error.code})` : '';
    process.stderr.write(`culex apikey: ${(error as Error).message}${code}\n`);
    process.exitCode = 1;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerApikey(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('manage API keys of the HTTP API (and dashboard password hashes)');
  const withFile = (c: Command) =>
    c
      .option('--file <file>', 'key file (default: http.apiKeyFile, else <dataDir>/apikeys.yaml)')
      .option('-c, --config <file>', 'YAML configuration file (env CULEX_CONFIG)');
  withFile(apikey.command('create <name>').description('create a key; it is printed once')).action(
    (name: string, flags: FileFlags) =>
      run(() => {
        const file = keyFileOf(flags, process.env);
        process.stdout.write(`${createKey(file, name)}\n`);
        process.stderr.write(
          `API key '${name}' added to ${file}; keep it, it is not shown again\n`,
        );
      }),
  );
  withFile(apikey.command('list').description('list key names')).action((flags: FileFlags) =>
    run(() => {
      const file = keyFileOf(flags, process.env);
      const entries = readKeyFile(file);
      // stdout stays a plain list for scripts; the note goes to stderr.
      if (entries.length === 0) process.stderr.write(`no API keys in ${file}\n`);
      for (const e of entries)
        process.stdout.write(`${e.name}\t${(e as { created?: string }).created ?? ''}\n`);
    }),
  );
  withFile(apikey.command('delete <name>').description('revoke a key')).action(
    (name: string, flags: FileFlags) => run(() => deleteKey(keyFileOf(flags, process.env), name)),
  );
  apikey
    .command('password [password]')
    .description('print a password hash for http.users in the config (reads stdin without one)')
    .action(async (password: string | undefined) => {
      const text = password ?? (await readStdin());
      run(() => {
        if (text === '') throw new Error('empty password');
        process.stdout.write(`${hashPassword(text)}\n`);
      });
    });
}
