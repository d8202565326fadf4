// Live trace: messages matching a topic filter (or from one client) as they pass through the
// broker, streamed from GET /api/v1/trace (Server-Sent Events), without subscribing.
import { useEffect, useRef, useState } from 'preact/hooks';
import { query, stream, type TraceEvent } from '../api.js';
import { useField } from '../hooks.js';

const KEEP = 500;

export function Trace() {
  const topic = useField('#');
  const clientId = useField();
  const [events, setEvents] = useState<(TraceEvent & { n: number })[]>([]);
  const [state, setState] = useState('stopped');
  const [dropped, setDropped] = useState(0);
  const abort = useRef<AbortController | null>(null);
  const counter = useRef(0);
  const stop = () => {
    abort.current?.abort();
    abort.current = null;
    setState('stopped');
  };
  useEffect(() => stop, []);
  const start = (e: Event) => {
    e.preventDefault();
    stop();
    const controller = new AbortController();
    abort.current = controller;
    setState('tracing');
    const path = `/trace${query({ topic: topic.value || '#', clientId: clientId.value })}`;
    stream(path, controller.signal, (event, data) => {
      if (event === 'dropped') setDropped((d) => d + Number(data));
      else {
        const item = { ...(JSON.parse(data) as TraceEvent), n: ++counter.current };
        setEvents((list) => [item, ...list].slice(0, KEEP));
      }
    }).then(
      () => abort.current === controller && setState('stream ended'),
      (err: Error) => {
        if (!controller.signal.aborted) setState(`error: ${err.message}`);
      },
    );
  };
  return (
    <div>
      <form class="inline" onSubmit={start}>
        <input placeholder="Topic filter" data-testid="trace-topic" {...topic.bind} />
        <input placeholder="Client id (optional)" {...clientId.bind} />
        <button type="submit" data-testid="trace-start">
          Start
        </button>
        <button type="button" onClick={stop}>
          Stop
        </button>
        <button type="button" onClick={() => setEvents([])}>
          Clear
        </button>
        <span class="state" data-testid="trace-state">
          {state}
          {dropped > 0 ? ` · ${dropped} dropped (too fast)` : ''}
        </span>
      </form>
      <table data-testid="trace-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>From</th>
            <th>Topic</th>
            <th>QoS</th>
            <th>Payload</th>
          </tr>
        </thead>
        <tbody>
          {events.map((ev) => (
            <tr key={ev.n} data-topic={ev.topic}>
              <td>{new Date(ev.ts).toLocaleTimeString()}</td>
              <td>{ev.clientId ?? <i>broker/API</i>}</td>
              <td>
                <code>{ev.topic}</code>
                {ev.retain ? ' (retain)' : ''}
              </td>
              <td>{ev.qos}</td>
              <td class="preview">
                {ev.payload.text ?? <i>{ev.payload.size} bytes binary</i>}
                {Object.keys(ev.properties).length > 0 && (
                  <div class="props">{JSON.stringify(ev.properties)}</div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
