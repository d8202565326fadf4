// Banned clients: list, add (client id, username or IP, optional expiry), lift.
import { useState } from 'preact/hooks';
import { api, type Ban, formatTime, get } from '../api.js';
import { EmptyRow } from '../empty.js';
import { usePoll } from '../hooks.js';

export function Banned() {
  const list = usePoll(() => get<{ items: Ban[] }>('/banned'), 3000);
  const [message, setMessage] = useState('');
  const add = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const minutes = Number(data.get('minutes'));
    const reason = String(data.get('reason'));
    try {
      await api('POST', '/banned', {
        kind: String(data.get('kind')),
        value: String(data.get('value')),
        ...(reason ? { reason } : {}),
        ...(minutes > 0 ? { durationSeconds: Math.round(minutes * 60) } : {}),
      });
      form.reset();
      setMessage('Banned');
      void list.refresh();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const lift = async (b: Ban) => {
    try {
      await api('DELETE', `/banned/${b.kind}/${encodeURIComponent(b.value)}`);
      void list.refresh();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return (
    <div>
      <form class="inline" onSubmit={add}>
        <select name="kind">
          <option value="clientId">client id</option>
          <option value="username">username</option>
          <option value="ip">IP address</option>
        </select>
        <input name="value" placeholder="Value" required />
        <input name="reason" placeholder="Reason" />
        <input
          name="minutes"
          type="number"
          min="0"
          step="any"
          class="minutes"
          placeholder="Minutes (empty: forever)"
          title="Minutes; leave empty to ban forever"
        />
        <button type="submit">Ban</button>
      </form>
      {(list.error || message) && <p class="note">{list.error || message}</p>}
      <table>
        <thead>
          <tr>
            <th>Kind</th>
            <th>Value</th>
            <th>Reason</th>
            <th>Since</th>
            <th>Until</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <EmptyRow
            items={list.data?.items}
            columns={6}
            text="No bans: every client may connect."
          />
          {list.data?.items.map((b) => (
            <tr key={`${b.kind}:${b.value}`}>
              <td>{b.kind}</td>
              <td>
                <code>{b.value}</code>
              </td>
              <td>{b.reason ?? ''}</td>
              <td>{formatTime(b.createdAt)}</td>
              <td>{b.until === undefined ? 'forever' : formatTime(b.until)}</td>
              <td>
                <button type="button" class="link" onClick={() => lift(b)}>
                  Lift
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
