// A dependency-free SVG line chart for a few series over time.

export interface Series {
  name: string;
  color: string;
  values: number[];
}

const W = 600;
const H = 180;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

function label(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n % 1 === 0 ? String(n) : n.toFixed(1);
}

export function LineChart(props: {
  title: string;
  times: number[];
  series: Series[];
  testid?: string;
}) {
  const { times, series } = props;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const n = times.length;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const ticks = [0, max / 2, max];
  const span = n > 1 ? Math.round((times[n - 1]! - times[0]!) / 1000) : 0;
  return (
    <figure class="chart" data-testid={props.testid}>
      <figcaption>
        <span class="title">{props.title}</span>
        <span class="legend">
          {series.map((s) => (
            <span key={s.name}>
              <i style={{ background: s.color }} /> {s.name}{' '}
              {s.values.length > 0 ? label(s.values[s.values.length - 1]!) : '—'}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {label(t)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 4}>
          {span > 0 ? `−${span}s` : ''}
        </text>
        <text x={W - PAD.right} y={H - 4} text-anchor="end">
          now
        </text>
        {series.map((s) => (
          <polyline
            key={s.name}
            fill="none"
            stroke={s.color}
            stroke-width="2"
            points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
    </figure>
  );
}
