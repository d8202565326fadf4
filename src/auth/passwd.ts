// The logic of `culex passwd`, mosquitto_passwd's counterpart: create a password file, add or
// update a user, delete one. Edits keep every other line (comments included) as it was, and
// the file is replaced atomically so that a broker reloading it never reads half a file.
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hashPassword, isEntryLine, parsePasswordFile, splitEntryLine } from './password-file.js';

export interface PasswdArgs {
  file: string;
  username: string;
  /** Required unless deleting; the CLI prompts for it when not given on the command line. */
  password?: string;
  delete?: boolean;
  /** Start a new file holding only this user, replacing any existing one (mosquitto_passwd -c). */
  create?: boolean;
}

/** The largest string the MQTT User Name and Password fields can carry. */
const MAX_FIELD_BYTES = 65_535;

export function checkUsername(username: string): void {
  if (username.length === 0) throw new Error('the user name must not be empty');
  if (username.includes(':')) throw new Error(`user name "${username}" must not contain ':'`);
  if (/[\r\n]/.test(username)) throw new Error('the user name must not contain a line break');
  if (username.trim() !== username || username.startsWith('#')) {
    // The file format trims blanks and treats '#' lines as comments.
    throw new Error(`user name "${username}" must not start with '#' or a blank, or end with one`);
  }
  if (Buffer.byteLength(username) > MAX_FIELD_BYTES) throw new Error('the user name is too long');
}

function checkPassword(password: string | undefined): string {
  if (password === undefined) throw new Error('a password is required to add or update a user');
  if (Buffer.byteLength(password) > MAX_FIELD_BYTES) throw new Error('the password is too long');
  return password;
}

function lines(text: string): string[] {
  const list = text.split('\n');
  if (list.at(-1) === '') list.pop();
  return list;
}

const isUserLine = (line: string, username: string) =>
  isEntryLine(line) && splitEntryLine(line)?.username === username;

/** Sets `username`'s hash in file text: its line is replaced in place, or one is appended. */
export function setPasswordLine(text: string, username: string, hash: string): string {
  const list = lines(text);
  const entry = `${username}:${hash}`;
  const index = list.findIndex((line) => isUserLine(line, username));
  if (index === -1) list.push(entry);
  else list[index] = entry;
  return `${list.join('\n')}\n`;
}

/** Removes `username`'s line from file text; throws when the user is not there. */
export function deletePasswordLine(text: string, username: string, fileName: string): string {
  const list = lines(text);
  const kept = list.filter((line) => !isUserLine(line, username));
  if (kept.length === list.length) throw new Error(`user "${username}" is not in ${fileName}`);
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

async function readExisting(file: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    parsePasswordFile(text, file); // refuse to edit a file the broker could not read
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`password file ${file} does not exist (culex passwd -c creates it)`);
    }
    throw error;
  }
}

/** Writes through a temporary file and a rename; keeps the old file's mode, else 0600. */
async function replaceFile(file: string, text: string): Promise<void> {
  const mode = await stat(file).then(
    (info) => info.mode & 0o777,
    () => 0o600,
  );
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

export async function runPasswd(args: PasswdArgs): Promise<void> {
  checkUsername(args.username);
  if (args.delete && args.create) throw new Error('-c (create) and -D (delete) cannot be combined');
  if (args.delete) {
    const text = await readExisting(args.file);
    await replaceFile(args.file, deletePasswordLine(text, args.username, args.file));
    return;
  }
  const hash = await hashPassword(checkPassword(args.password));
  const text = args.create ? '' : await readExisting(args.file);
  await replaceFile(args.file, setPasswordLine(text, args.username, hash));
}
