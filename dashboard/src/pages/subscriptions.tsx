// Subscriptions: filter, page, subscribe or unsubscribe on a client's behalf.
import { useState } from 'preact/hooks';
import { api, get, type Page, plural, query, type SubscriptionView } from '../api.js';
import { useCursors, useField, usePoll } from '../hooks.js';
import { EmptyRow } from '../empty.js';
import { Pager } from '../pager.js';

export function Subscriptions() {
  const clientId = useField();
  const filter = useField();
  const topic = useField();
  const pages = useCursors();
  const [message, setMessage] = useState('');
  const cursor = pages.cursor;
  const list = usePoll(
    () =>
      get<Page<SubscriptionView>>(
        `/subscriptions${query({ clientId: clientId.value, filter: filter.value, topic: topic.value, limit: 50, cursor })}`,
      ),
    2000,
    [clientId.value, filter.value, topic.value, cursor],
  );
  const add = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try {
      await api(
        'POST',
        `/clients/${encodeURIComponent(String(form.get('clientId')))}/subscriptions`,
        {
          topicFilter: String(form.get('topicFilter')),
          qos: Number(form.get('qos')),
        },
      );
      setMessage('Subscribed');
      void list.refresh();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const remove = async (s: SubscriptionView) => {
    try {
      await api(
        'DELETE',
        `/clients/${encodeURIComponent(s.clientId)}/subscriptions${query({ topicFilter: s.topicFilter })}`,
      );
      void list.refresh();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const page = list.data;
  const onFilter = (f: ReturnType<typeof useField>) => (e: Event) => {
    f.set((e.target as HTMLInputElement).value);
    pages.reset();
  };
  return (
    <div>
      <div class="toolbar">
        <input placeholder="Client id" value={clientId.value} onInput={onFilter(clientId)} />
        <input placeholder="Filter contains" value={filter.value} onInput={onFilter(filter)} />
        <input placeholder="Matches topic" value={topic.value} onInput={onFilter(topic)} />
        <span class="count">{page ? plural(page.total, 'subscription') : ''}</span>
      </div>
      {list.error && <p class="error">{list.error}</p>}
      <table>
        <thead>
          <tr>
            <th>Client id</th>
            <th>Topic filter</th>
            <th>QoS</th>
            <th>Options</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={page?.items} columns={5} text="No subscriptions match." />
          {page?.items.map((s) => (
            <tr key={`${s.clientId}\u0000${s.topicFilter}`}>
              <td>
                <span class={s.connected ? 'dot on' : 'dot'} /> {s.clientId}
              </td>
              <td>
                <code>{s.topicFilter}</code>
              </td>
              <td>{s.qos}</td>
              <td>
                {[
                  s.noLocal && 'no local',
                  s.retainAsPublished && 'retain as published',
                  `rh ${s.retainHandling}`,
                ]
                  .filter(Boolean)
                  .join(', ')}
              </td>
              <td>
                <button type="button" class="link" onClick={() => remove(s)}>
                  Unsubscribe
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pages={pages} nextCursor={page?.nextCursor} />
      <h3>Subscribe on behalf of a client</h3>
      <form class="inline" onSubmit={add}>
        <input name="clientId" placeholder="Client id" required />
        <input name="topicFilter" placeholder="Topic filter" required />
        <select name="qos">
          <option value="0">QoS 0</option>
          <option value="1">QoS 1</option>
          <option value="2">QoS 2</option>
        </select>
        <button type="submit">Subscribe</button>
      </form>
      {message && <p class="note">{message}</p>}
    </div>
  );
}
