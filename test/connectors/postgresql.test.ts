// The PostgreSQL connector against a real server (initdb + postgres on a free port).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type Connector, createConnector } from '../../src/connectors/index.js';
import { splitValues } from '../../src/connectors/postgresql.js';
import { type ManagedServer, startPostgres } from '../auth/servers.js';
import { assertAllInOrder, outageUnderLoad, testDeps, waitFor } from './harness.js';

let server: ManagedServer & { url: string };
let db: pg.Pool;
const open: Connector[] = [];

before(async () => {
  server = await startPostgres();
  db = new pg.Pool({ connectionString: server.url, max: 1 });
  // The outage test stops the server under it: idle and checked-out clients hear of it.
  db.on('error', () => {});
  db.on('connect', (client) => client.on('error', () => {}));
  await db.query(
    'CREATE TABLE readings (id serial, clientid text, temp numeric, seq int UNIQUE, meta jsonb)',
  );
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await db?.end().catch(() => {});
  await server?.remove();
});

function postgres(): Connector {
  const connector = createConnector(
    { name: 'pg', type: 'postgresql', url: server.url, pool: 2 },
    testDeps(),
  );
  open.push(connector);
  return connector;
}

const INSERT =
  'INSERT INTO readings (clientid, temp, seq, meta) VALUES (${clientid}, ${payload.temp}, ${seq}, ${payload.meta})';

async function seqs(from: number, to: number): Promise<number[]> {
  const rows = await db.query('SELECT seq FROM readings WHERE seq >= $1 AND seq < $2 ORDER BY id', [
    from,
    to,
  ]);
  return rows.rows.map((r: { seq: number }) => r.seq - from);
}

describe('postgresql connector', { timeout: 90_000 }, () => {
  test('splitValues repeats the VALUES group with renumbered parameters', () => {
    const sql = splitValues(
      "INSERT INTO t (a, b) VALUES ($1, lower('(x)') || $2) ON CONFLICT DO NOTHING",
    );
    assert.equal(
      `${sql!.head}${sql!.group(0)},${sql!.group(2)}${sql!.tail}`,
      "INSERT INTO t (a, b) VALUES ($1, lower('(x)') || $2),($3, lower('(x)') || $4) ON CONFLICT DO NOTHING",
    );
    assert.equal(splitValues('INSERT INTO t (a) SELECT $1'), undefined);
    assert.equal(
      splitValues('INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET b = $2'),
      undefined,
    );
  });

  test('batched parameterized inserts: every row, values typed, in order', async () => {
    const connector = postgres();
    const sink = connector.sink({ connector: 'pg', sql: INSERT, batchSize: 100 }, 'r1/0');
    for (let seq = 0; seq < 1000; seq++) {
      sink.push(
        { clientid: `c${seq}`, seq, payload: JSON.stringify({ temp: seq / 2, meta: { seq } }) },
        'k',
      );
    }
    await waitFor(() => sink.counters.success === 1000, 10_000, 'all rows');
    assertAllInOrder(await seqs(0, 1000), 1000);
    const row = await db.query('SELECT clientid, temp, meta FROM readings WHERE seq = 7');
    assert.deepEqual(row.rows[0], { clientid: 'c7', temp: '3.5', meta: { seq: 7 } });
    assert.equal(connector.status(), 'connected');
  });

  test('a row the table refuses is dropped alone; other SQL shapes run in one transaction', async () => {
    const sink = postgres().sink(
      { connector: 'pg', sql: INSERT, batchSize: 10, batchTimeMs: 50 },
      'r2/0',
    );
    for (let seq = 2000; seq < 2010; seq++) sink.push({ seq: seq === 2005 ? 7 : seq }, 'k');
    await waitFor(() => sink.counters.success + sink.counters.failed === 10, 10_000);
    assert.equal(sink.counters.success, 9);
    assert.deepEqual(sink.counters.dropped, { rejected: 1 });
    const select = postgres().sink(
      {
        connector: 'pg',
        sql: 'INSERT INTO readings (seq, clientid) SELECT ${seq}, ${clientid}',
        batchSize: 5,
      },
      'r2/1',
    );
    for (let seq = 3000; seq < 3005; seq++) select.push({ seq, clientid: 'x' }, 'k');
    await waitFor(() => select.counters.success === 5, 10_000);
    assertAllInOrder(await seqs(3000, 3005), 5);
  });

  test('bad config: exact errors naming the key', () => {
    const make = (config: Record<string, unknown>) => () =>
      createConnector({ name: 'p', type: 'postgresql', ...config }, testDeps());
    assert.throws(make({ url: 'mysql://x' }), {
      message: "connector 'p': url must start with postgres:// or postgresql://",
    });
    assert.throws(make({ url: server.url, pool: 0 }), {
      message: "connector 'p': pool must be an integer from 1 to 100, not 0",
    });
    const connector = postgres();
    assert.throws(() => connector.sink({ connector: 'pg' }, 's'), {
      message: "sink 's' (connector 'pg'): sql is required",
    });
    assert.throws(() => connector.sink({ connector: 'pg', sql: 'DELETE FROM readings' }, 's'), {
      message: "sink 's' (connector 'pg'): sql must be an INSERT statement",
    });
  });

  test('server stopped 10 s under load and restarted: 0 lost, order kept', async () => {
    const connector = postgres();
    const sink = connector.sink({ connector: 'pg', sql: INSERT, batchSize: 50 }, 'r3/0');
    const base = 10_000;
    await outageUnderLoad({
      sink,
      record: (seq) => ({ seq: seq + base }),
      connector: connector,
      stop: () => server.stop(),
      start: () => server.start(),
      received: () => seqs(base, base + 1_000_000),
    });
  });
});
