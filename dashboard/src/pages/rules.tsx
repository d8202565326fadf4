// Rules: the list with live counters, an SQL editor with a test panel (the rule run on a
// sample message or event, no side effects) and the rule's actions as JSON.
import { useState } from 'preact/hooks';
import { api, get, plural } from '../api.js';
import { EmptyRow } from '../empty.js';
import { useField, useListActions, usePoll } from '../hooks.js';

interface RuleView {
  id: string;
  sql: string;
  enabled: boolean;
  description?: string;
  actions: unknown[];
  metrics: {
    matched: number;
    passed: number;
    failed: { exception: number; no_result: number };
    actions: { total: number; success: number; failed: number; dropped: number; queued: number };
    rate: number;
  };
}

const SAMPLE_SQL = 'SELECT payload.temp AS t, clientid FROM "sensors/#" WHERE t > 30';
const SAMPLE_ACTIONS =
  '[{ "type": "republish", "topic": "alerts/${clientid}", "payload": "${t}" }]';
const SAMPLE_CONTEXT =
  '{ "topic": "sensors/1/temp", "clientid": "dev1", "payload": "{\\"temp\\": 35}" }';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

function Editor({ onSaved }: { onSaved: () => void }) {
  const id = useField('');
  const sql = useField(SAMPLE_SQL);
  const actions = useField(SAMPLE_ACTIONS);
  const context = useField(SAMPLE_CONTEXT);
  const [output, setOutput] = useState('');
  const [message, setMessage] = useState('');
  const test = async () => {
    try {
      const body = { sql: sql.value, context: parseJson(context.value, 'sample input') };
      const result = await api<{ outputs: unknown[] }>('POST', '/rules/test', body);
      setOutput(JSON.stringify(result.outputs, null, 2));
    } catch (e) {
      setOutput(`Error: ${(e as Error).message}`);
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const body = { id: id.value, sql: sql.value, actions: parseJson(actions.value, 'actions') };
      await api('POST', '/rules', body);
      setMessage(`Rule ${id.value} created`);
      id.set('');
      onSaved();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return (
    <form class="rule-editor" onSubmit={save} data-testid="rule-editor">
      <label>
        Id <input name="id" required {...id.bind} />
      </label>
      <label>
        SQL <textarea name="sql" rows={3} spellcheck={false} {...sql.bind} />
      </label>
      <label>
        Actions (JSON) <textarea name="actions" rows={3} spellcheck={false} {...actions.bind} />
      </label>
      <fieldset>
        <legend>Test</legend>
        <label>
          Sample input (JSON: message or event fields)
          <textarea name="context" rows={2} spellcheck={false} {...context.bind} />
        </label>
        <button type="button" onClick={test} data-testid="test-rule">
          Test
        </button>
        {output && <pre data-testid="test-output">{output}</pre>}
      </fieldset>
      <button type="submit">Create rule</button>
      {message && <p class="note">{message}</p>}
    </form>
  );
}

export function Rules() {
  const list = usePoll(() => get<{ data: RuleView[] }>('/rules'), 2000);
  const { message, run } = useListActions(list.refresh);
  const act = (method: string, path: string) => run(() => api(method, path));
  const rules = list.data?.data;
  return (
    <div>
      <div class="toolbar">
        <span class="count">{rules ? plural(rules.length, 'rule') : ''}</span>
      </div>
      {(list.error || message) && <p class="note">{list.error || message}</p>}
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>SQL</th>
            <th>Matched</th>
            <th>Passed</th>
            <th>Failed</th>
            <th>Actions ok / failed / dropped</th>
            <th>Rate /s</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={rules} columns={8} text="No rules yet: create one below." />
          {rules?.map((r) => (
            <tr key={r.id} data-rule={r.id} class={r.enabled ? '' : 'disabled'}>
              <td>{r.id}</td>
              <td>
                <code>{r.sql}</code>
              </td>
              <td data-testid="matched">{r.metrics.matched}</td>
              <td data-testid="passed">{r.metrics.passed}</td>
              <td>{r.metrics.failed.exception + r.metrics.failed.no_result}</td>
              <td>
                {r.metrics.actions.success} / {r.metrics.actions.failed} /{' '}
                {r.metrics.actions.dropped}
              </td>
              <td>{r.metrics.rate}</td>
              <td>
                <button
                  type="button"
                  class="link"
                  onClick={() => act('POST', `/rules/${r.id}/${r.enabled ? 'disable' : 'enable'}`)}
                >
                  {r.enabled ? 'Disable' : 'Enable'}
                </button>{' '}
                <button
                  type="button"
                  class="link"
                  onClick={() => act('POST', `/rules/${r.id}/metrics/reset`)}
                >
                  Reset
                </button>{' '}
                <button type="button" class="link" onClick={() => act('DELETE', `/rules/${r.id}`)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>New rule</h3>
      <Editor onSaved={() => void list.refresh()} />
    </div>
  );
}
