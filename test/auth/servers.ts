// Real PostgreSQL, Redis and OpenLDAP servers for the auth source tests and bench:auth, each on
// a free loopback port in a temp dir, stopped (and started again, same port and data) by PID.
import pg from 'pg';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/broker-process.js';
import { canConnect, run } from './helpers.js';

/** Debian keeps initdb and postgres out of PATH, under the version: take the newest. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0)
    throw new Error(`no PostgreSQL under ${root}: apt-get install postgresql`);
  return join(root, versions[0]!, 'bin');
}

/** One server process that can be stopped and started again on the same port and data. */
export class ManagedServer {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dir: string,
    private readonly command: () => { file: string; args: string[]; uid?: number; gid?: number },
    /** PostgreSQL's SIGTERM waits for its clients to leave; SIGINT does not. */
    private readonly stopSignal: NodeJS.Signals = 'SIGTERM',
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    const { file, args, uid, gid } = this.command();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], uid, gid });
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (!(await canConnect(this.port))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await this.stop();
        throw new Error(`${this.name} did not start on port ${this.port}: ${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The stop signal by PID, SIGKILL after 5 s. */
  stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill(this.stopSignal);
    });
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function tempDir(prefix: string) {
  return mkdtemp(join(tmpdir(), `culex-${prefix}-`));
}

/** PostgreSQL refuses to run as root: as root, the server runs as the postgres user. */
async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const id = await run('id', ['-u', 'postgres']);
  const gid = await run('id', ['-g', 'postgres']);
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** initdb in a temp dir, then postgres on a free port; trust authentication on loopback. */
export async function startPostgres(): Promise<ManagedServer & { url: string }> {
  const bin = postgresBin();
  const dir = await tempDir('pg');
  const user = await postgresUser();
  if (user.uid !== undefined) await chown(dir, user.uid, user.gid!);
  const data = join(dir, 'data');
  const init = spawn(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'culex', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { stdio: 'ignore', ...user },
  );
  const code = await new Promise((resolve) => init.on('exit', resolve));
  if (code !== 0) throw new Error(`initdb failed with ${code}`);
  const port = await freePort();
  const server = new ManagedServer(
    'postgres',
    port,
    dir,
    () => ({
      file: join(bin, 'postgres'),
      args: [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      ...user,
    }),
    'SIGINT',
  );
  await server.start();
  const url = `postgres://culex@127.0.0.1:${port}/postgres`;
  await untilPostgresAnswers(url);
  return Object.assign(server, { url });
}

/**
 * The port opens before the database accepts queries ("the database system is starting up",
 * seen on a loaded machine): wait, bounded, until a query answers.
 */
async function untilPostgresAnswers(url: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** `persist`: an append-only file, so what was written survives a stop and start. */
export async function startRedis(persist = false): Promise<ManagedServer> {
  const dir = await tempDir('redis');
  const port = await freePort();
  const server = new ManagedServer('redis', port, dir, () => ({
    file: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      persist ? 'yes' : 'no',
      '--dir',
      dir,
    ],
  }));
  await server.start();
  return server;
}

/**
 * mosquitto on a free port with `settings` (lines of mosquitto.conf); with `persistence true`
 * in them, its store is in the temp dir, so sessions and queued messages outlive a restart.
 */
export async function startMosquittoServer(settings: string[] = []): Promise<ManagedServer> {
  const dir = await tempDir('mosquitto');
  const port = await freePort();
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `persistence_location ${dir}/`,
    ...settings,
  ];
  // As root, mosquitto would switch to its own user, which cannot read our private temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  await writeFile(join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  const server = new ManagedServer('mosquitto', port, dir, () => ({
    file: 'mosquitto',
    args: ['-c', join(dir, 'mosquitto.conf')],
  }));
  await server.start();
  return server;
}

export const LDAP_SUFFIX = 'dc=example,dc=org';
export const LDAP_ADMIN = `cn=admin,${LDAP_SUFFIX}`;
export const LDAP_ADMIN_PASSWORD = 'admin-secret';

/** slapd with an mdb database under LDAP_SUFFIX; `ldif` is added with ldapadd once it runs. */
export async function startSlapd(ldif: string): Promise<ManagedServer & { url: string }> {
  const dir = await tempDir('ldap');
  await mkdir(join(dir, 'data'));
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'];
  const config = [
    ...schemas.map((s) => `include /etc/ldap/schema/${s}.schema`),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${join(dir, 'slapd.pid')}`,
    'database mdb',
    `suffix "${LDAP_SUFFIX}"`,
    `rootdn "${LDAP_ADMIN}"`,
    `rootpw ${LDAP_ADMIN_PASSWORD}`,
    `directory ${join(dir, 'data')}`,
    'maxsize 10485760',
  ];
  await writeFile(join(dir, 'slapd.conf'), `${config.join('\n')}\n`);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const server = new ManagedServer('slapd', port, dir, () => ({
    file: '/usr/sbin/slapd',
    // -d 0: stay in the foreground, so the PID is slapd's own.
    args: ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'],
  }));
  await server.start();
  await writeFile(join(dir, 'data.ldif'), ldif);
  const added = await run('ldapadd', [
    '-x',
    '-H',
    url,
    '-D',
    LDAP_ADMIN,
    '-w',
    LDAP_ADMIN_PASSWORD,
    '-f',
    join(dir, 'data.ldif'),
  ]);
  if (added.code !== 0) {
    await server.remove();
    throw new Error(`ldapadd failed: ${added.stderr}`);
  }
  return Object.assign(server, { url });
}
