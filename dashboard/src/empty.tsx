// What a table shows once its list has loaded empty, instead of a bare header.

export function EmptyRow(props: { items: unknown[] | undefined; columns: number; text: string }) {
  if (props.items === undefined || props.items.length > 0) return null;
  return (
    <tr class="empty">
      <td colSpan={props.columns}>{props.text}</td>
    </tr>
  );
}
