// Operations per second of a synchronous operation over a set of inputs, for the micro
// benchmarks (bench/topic.ts, bench/sql.ts).

/** Runs `op` over `inputs` round-robin for `runMs` and returns operations per second. */
export function measureRoundRobin<T>(
  inputs: readonly T[],
  op: (input: T) => unknown,
  runMs: number,
): number {
  let count = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(runMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) {
      const out = op(inputs[count % inputs.length]!);
      sink += Array.isArray(out) ? out.length : out ? 1 : 0;
      count++;
    }
    now = process.hrtime.bigint();
  }
  if (sink < 0) console.log(sink); // keeps the results alive
  return count / (Number(now - start) / 1e9);
}
