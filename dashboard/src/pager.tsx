// Cursor paging over the API's Page<T> lists: the cursors of the pages seen so far, so that
// "Previous" can go back, and the buttons under a table.

export interface Cursors {
  /** The cursor to ask for (null: the first page). */
  readonly cursor: string | null;
  /** 1-based number of the page shown. */
  readonly number: number;
  reset(): void;
  back(): void;
  next(cursor: string): void;
}

export function Pager(props: {
  pages: Cursors;
  nextCursor: string | null | undefined;
  numbered?: boolean;
}) {
  const { pages, nextCursor } = props;
  return (
    <div class="pager">
      <button type="button" disabled={pages.number === 1} onClick={pages.back}>
        ← Previous
      </button>
      {props.numbered && <span>Page {pages.number}</span>}
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && pages.next(nextCursor)}
      >
        Next →
      </button>
    </div>
  );
}
