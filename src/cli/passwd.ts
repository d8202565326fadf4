// `culex passwd`: mosquitto_passwd's counterpart, for files both brokers read.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { runPasswd } from '../auth/index.js';

interface PasswdFlags {
  create?: boolean;
  delete?: boolean;
  batch?: boolean;
}

/** Reads a password from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (s: string) => void };
    output._writeToOutput = (s: string) => {
      if (s.includes(question)) process.stderr.write(s);
    };
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    // Ctrl-D: without this the promise never settles and Node exits 13 with no message.
    rl.once('close', () => answered || reject(new Error('no password given')));
  });
}

/** The password and its confirmation: typed at a terminal, or two lines piped in. */
async function askPassword(): Promise<string> {
  const [first, second] = process.stdin.isTTY
    ? [await prompt('Password: '), await prompt('Reenter password: ')]
    : await readStdinLines();
  if (first === undefined || first === '') throw new Error('no password on standard input');
  if (second !== undefined && first !== second) throw new Error('the passwords do not match');
  return first;
}

/** Piped standard input (mosquitto_passwd reads it too): the password, then optionally again. */
async function readStdinLines(): Promise<(string | undefined)[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(0, 2);
}

export function registerPasswd(program: Command): void {
  program
    .command('passwd')
    .description('create or edit a Mosquitto-format password file ($7$ PBKDF2-SHA512 hashes)')
    .argument('<file>', 'password file')
    .argument('<username>', 'user to add, update or delete')
    .argument('[password]', 'the password, with -b (batch mode)')
    .option('-c, --create', 'create a new file holding only this user (overwrites)')
    .option('-D, --delete', 'delete the user')
    .option('-b, --batch', 'take the password from the command line')
    .action(
      async (file: string, username: string, password: string | undefined, flags: PasswdFlags) => {
        try {
          if (flags.batch && password === undefined && !flags.delete)
            throw new Error('-b needs the password as the last argument');
          if (!flags.batch && password !== undefined)
            throw new Error('a password on the command line needs -b');
          const secret = flags.delete ? undefined : (password ?? (await askPassword()));
          await runPasswd({
            file,
            username,
            password: secret,
            delete: flags.delete,
            create: flags.create,
          });
        } catch (error) {
          process.stderr.write(`culex passwd: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}
