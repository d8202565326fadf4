// Small hooks shared by the pages.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Cursors } from './pager.js';

/** Runs `load` now and every `ms`, keeping the last result and error. */
export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const loadRef = useRef(load);
  loadRef.current = load;
  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void refresh();
    const timer = setInterval(refresh, ms);
    return () => clearInterval(timer);
  }, deps);
  return { data, error, refresh };
}

/** A value from a form field, as a one-liner for inputs. */
export function useField(initial = '') {
  const [value, setValue] = useState(initial);
  return {
    value,
    set: setValue,
    bind: {
      value,
      onInput: (e: Event) => setValue((e.target as HTMLInputElement).value),
    },
  };
}

/** The cursors of a paged list (see pager.tsx). */
export function useCursors(): Cursors {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1]!,
    number: cursors.length,
    reset: () => setCursors([null]),
    back: () => setCursors((c) => c.slice(0, -1)),
    next: (cursor) => setCursors((c) => [...c, cursor]),
  };
}

/**
 * API calls of a list page: each runs, says `done` (or why it failed) in `message`, and
 * refreshes the list.
 */
export function useListActions(refresh: () => Promise<void>) {
  const [message, setMessage] = useState('');
  const run = async (call: () => Promise<unknown>, done = ''): Promise<void> => {
    try {
      await call();
      setMessage(done);
      void refresh();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return { message, run };
}
