// Retained messages: browse by filter, read one (text or base64, properties), delete.
import { useState } from 'preact/hooks';
import {
  api,
  formatTime,
  get,
  type Page,
  plural,
  query,
  type RetainedDetail,
  type RetainedView,
} from '../api.js';
import { useCursors, useField, usePoll } from '../hooks.js';
import { EmptyRow } from '../empty.js';
import { Pager } from '../pager.js';

export function Retained() {
  const filter = useField('#');
  const pages = useCursors();
  const [open, setOpen] = useState<RetainedDetail | null>(null);
  const [message, setMessage] = useState('');
  const cursor = pages.cursor;
  const list = usePoll(
    () =>
      get<Page<RetainedView>>(
        `/retained${query({ filter: filter.value || '#', limit: 50, cursor })}`,
      ),
    3000,
    [filter.value, cursor],
  );
  const show = async (topic: string) => {
    try {
      setOpen(await get<RetainedDetail>(`/retained/${encodeURIComponent(topic)}`));
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const remove = async (topic: string) => {
    try {
      await api('DELETE', `/retained/${encodeURIComponent(topic)}`);
      setOpen(null);
      void list.refresh();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const page = list.data;
  return (
    <div>
      <div class="toolbar">
        <input
          placeholder="Topic filter"
          value={filter.value}
          onInput={(e) => {
            filter.set((e.target as HTMLInputElement).value);
            pages.reset();
          }}
        />
        <span class="count">{page ? plural(page.total, 'retained message') : ''}</span>
      </div>
      {(list.error || message) && <p class="error">{list.error || message}</p>}
      <table>
        <thead>
          <tr>
            <th>Topic</th>
            <th>QoS</th>
            <th>Size</th>
            <th>Payload</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={page?.items} columns={5} text="No retained messages match." />
          {page?.items.map((m) => (
            <tr key={m.topic} onClick={() => show(m.topic)}>
              <td>
                <code>{m.topic}</code>
              </td>
              <td>{m.qos}</td>
              <td class="num">{m.size}</td>
              <td class="preview">{m.preview ?? <i>binary</i>}</td>
              <td>{m.expiresAt === null ? 'never' : formatTime(m.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pages={pages} nextCursor={page?.nextCursor} />
      {open && (
        <aside class="drawer">
          <header>
            <h3>{open.topic}</h3>
            <button type="button" class="link" onClick={() => setOpen(null)}>
              Close
            </button>
          </header>
          <p>
            QoS {open.qos} · {open.size} bytes
          </p>
          <h4>Payload {open.payload.text === null ? '(base64)' : ''}</h4>
          <pre>{open.payload.text ?? open.payload.base64}</pre>
          <h4>Properties</h4>
          <pre>{JSON.stringify(open.properties, null, 2)}</pre>
          <button type="button" class="danger" onClick={() => remove(open.topic)}>
            Delete
          </button>
        </aside>
      )}
    </div>
  );
}
