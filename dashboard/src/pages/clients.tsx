// Clients: searchable, sortable, paged table refreshed every second, a detail drawer and kick.
import { useState } from 'preact/hooks';
import {
  api,
  type ClientDetail,
  type ClientSummary,
  formatBytes,
  formatTime,
  get,
  type Page,
  plural,
  query,
} from '../api.js';
import { EmptyRow } from '../empty.js';
import { useCursors, useField, usePoll } from '../hooks.js';
import { Pager } from '../pager.js';

const COLUMNS: { key: string; label: string; sortable?: boolean }[] = [
  { key: 'clientId', label: 'Client id', sortable: true },
  { key: 'username', label: 'Username', sortable: true },
  { key: 'ip', label: 'Address', sortable: true },
  { key: 'protocolVersion', label: 'MQTT' },
  { key: 'connectedAt', label: 'Connected since', sortable: true },
  { key: 'messagesIn', label: 'Msgs in', sortable: true },
  { key: 'messagesOut', label: 'Msgs out', sortable: true },
  { key: 'queued', label: 'Queued', sortable: true },
];

const VERSION: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

/** An MQTT-SN client is an MQTT 5.0 client of the broker behind the gateway. */
const protocolOf = (c: { transport: string | null; protocolVersion: number }) =>
  c.transport === 'mqtt-sn' ? 'SN 1.2' : (VERSION[c.protocolVersion] ?? String(c.protocolVersion));

function Drawer(props: { clientId: string; onClose: () => void; onKicked: () => void }) {
  const detail = usePoll(
    () => get<ClientDetail>(`/clients/${encodeURIComponent(props.clientId)}`),
    2000,
    [props.clientId],
  );
  const [message, setMessage] = useState('');
  const [kicked, setKicked] = useState(false);
  // After a kick the client is read again: offline with its session, or gone with it (404).
  // Stale rows ("Connected yes") are never shown beside an error.
  const d = detail.error ? undefined : detail.data;
  const kick = async () => {
    try {
      await api('POST', `/clients/${encodeURIComponent(props.clientId)}/kick`);
      await detail.refresh();
      setKicked(true);
      props.onKicked();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const status = kicked
    ? `Kicked: disconnected${detail.error ? ', and its session ended with it' : ''}.`
    : message;
  const rows: [string, string | number][] = d
    ? [
        ['Connected', d.connected ? 'yes' : 'no'],
        ['Username', d.username ?? '—'],
        ['Address', d.ip ? `${d.ip}:${d.port} (${d.transport})` : '—'],
        ['Protocol', d.transport === 'mqtt-sn' ? 'MQTT-SN 1.2 (gateway)' : `MQTT ${protocolOf(d)}`],
        ['Keep-alive', d.keepAlive === null ? '—' : `${d.keepAlive} s`],
        ['Connected since', formatTime(d.connectedAt)],
        ['Session expiry', `${d.sessionExpiryInterval} s`],
        ['In flight / queued', `${d.inflight} / ${d.queued}`],
        ['Messages in / out', `${d.messagesIn} / ${d.messagesOut}`],
        ['Bytes in / out', `${formatBytes(d.bytesIn)} / ${formatBytes(d.bytesOut)}`],
      ]
    : [];
  return (
    <aside class="drawer" data-testid="client-drawer">
      <header>
        <h3>{props.clientId}</h3>
        <button type="button" class="link" onClick={props.onClose}>
          Close
        </button>
      </header>
      {detail.error && !kicked && <p class="error">{detail.error}</p>}
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {d && (
        <>
          <h4>Subscriptions ({d.subscriptionList.length})</h4>
          <ul class="plain">
            {d.subscriptionList.map((s) => (
              <li key={s.topicFilter}>
                <code>{s.topicFilter}</code> QoS {s.qos}
              </li>
            ))}
          </ul>
          {d.connected && (
            <button type="button" class="danger" onClick={kick} data-testid="kick">
              Kick
            </button>
          )}
        </>
      )}
      {status && (
        <p class="note" data-testid="drawer-status">
          {status}
        </p>
      )}
    </aside>
  );
}

export function Clients() {
  const search = useField();
  const [connected, setConnected] = useState('');
  const [sort, setSort] = useState({ key: 'clientId', order: 'asc' as 'asc' | 'desc' });
  const pages = useCursors();
  const [selected, setSelected] = useState<string | null>(null);
  const cursor = pages.cursor;
  const list = usePoll(
    () =>
      get<Page<ClientSummary>>(
        `/clients${query({ clientId: search.value, connected, sort: sort.key, order: sort.order, limit: 20, cursor })}`,
      ),
    1000,
    [search.value, connected, sort.key, sort.order, cursor],
  );
  const reset = () => pages.reset();
  const toggleSort = (key: string) => {
    setSort((s) => ({ key, order: s.key === key && s.order === 'asc' ? 'desc' : 'asc' }));
    reset();
  };
  const page = list.data;
  return (
    <div>
      <div class="toolbar">
        <input
          placeholder="Search client id"
          data-testid="client-search"
          {...search.bind}
          onInput={(e) => {
            search.set((e.target as HTMLInputElement).value);
            reset();
          }}
        />
        <select
          value={connected}
          onChange={(e) => {
            setConnected((e.target as HTMLSelectElement).value);
            reset();
          }}
        >
          <option value="">all</option>
          <option value="true">connected</option>
          <option value="false">offline</option>
        </select>
        <span class="count">{page ? plural(page.total, 'client') : ''}</span>
      </div>
      {list.error && <p class="error">{list.error}</p>}
      <table data-testid="clients-table">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                class={c.sortable ? 'sortable' : ''}
                onClick={() => c.sortable && toggleSort(c.key)}
              >
                {c.label}
                {sort.key === c.key ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
              </th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={page?.items} columns={COLUMNS.length + 1} text="No clients match." />
          {page?.items.map((c) => (
            <tr key={c.clientId} data-client={c.clientId} onClick={() => setSelected(c.clientId)}>
              <td>
                <span class={c.connected ? 'dot on' : 'dot'} /> {c.clientId}
              </td>
              <td>{c.username ?? ''}</td>
              <td>{c.ip ? `${c.ip}:${c.port}` : ''}</td>
              <td>{protocolOf(c)}</td>
              <td>{formatTime(c.connectedAt)}</td>
              <td class="num">{c.messagesIn}</td>
              <td class="num">{c.messagesOut}</td>
              <td class="num">{c.queued}</td>
              <td>
                <button type="button" class="link">
                  Details
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pages={pages} nextCursor={page?.nextCursor} numbered />
      {selected && (
        <Drawer
          clientId={selected}
          onClose={() => setSelected(null)}
          onKicked={() => void list.refresh()}
        />
      )}
    </div>
  );
}
