// Connectors: status (connected, connecting, disconnected), counters and the rules using each;
// create one from JSON, delete one no rule uses.
import { api, get, plural } from '../api.js';
import { EmptyRow } from '../empty.js';
import { useField, useListActions, usePoll } from '../hooks.js';

interface ConnectorView {
  name: string;
  type: string;
  status: string;
  counters: { connects: number; disconnects: number; errors: number };
  rules: string[];
}

const SAMPLE = '{ "name": "hook", "type": "http", "url": "http://127.0.0.1:8080" }';

export function Connectors() {
  const list = usePoll(() => get<{ data: ConnectorView[] }>('/connectors'), 2000);
  const config = useField(SAMPLE);
  const { message, run } = useListActions(list.refresh);
  const create = (e: Event) => {
    e.preventDefault();
    void run(() => api('POST', '/connectors', JSON.parse(config.value)), 'Connector created');
  };
  const connectors = list.data?.data;
  return (
    <div>
      <div class="toolbar">
        <span class="count">{connectors ? plural(connectors.length, 'connector') : ''}</span>
      </div>
      {(list.error || message) && <p class="note">{list.error || message}</p>}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Status</th>
            <th>Connects</th>
            <th>Disconnects</th>
            <th>Errors</th>
            <th>Rules</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={connectors} columns={8} text="No connectors yet." />
          {connectors?.map((c) => (
            <tr key={c.name} data-connector={c.name}>
              <td>{c.name}</td>
              <td>{c.type}</td>
              <td class={`status ${c.status}`} data-testid="status">
                {c.status}
              </td>
              <td>{c.counters.connects}</td>
              <td>{c.counters.disconnects}</td>
              <td>{c.counters.errors}</td>
              <td>{c.rules.join(', ')}</td>
              <td>
                <button
                  type="button"
                  class="link"
                  onClick={() => run(() => api('DELETE', `/connectors/${c.name}`), 'Deleted')}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>New connector</h3>
      <form class="rule-editor" onSubmit={create}>
        <label>
          Connector (JSON, see docs/RULES.md)
          <textarea name="connector" rows={3} spellcheck={false} {...config.bind} />
        </label>
        <button type="submit">Create connector</button>
      </form>
    </div>
  );
}
