// `npm test`'s reporter for humans (node:test custom reporter): one line per test file as it
// finishes, then every failure again in full, then the totals. `node scripts/test.mjs --tap`
// prints node's TAP instead, every test on its own lines.
//
// It writes to stdout synchronously and prints the totals when the root's plan arrives (after
// the last file), so a runner that ends right after that (`--test-force-exit`, or stopped)
// cuts nothing off.
import { writeSync } from 'node:fs';
import { inspect } from 'node:util';

const relative = (file) => (file ?? '').replace(/^.*?(dist\/)/, '$1');
const seconds = (ms) => `${((ms ?? 0) / 1000).toFixed(1)} s`;
const indent = (text) => text.replace(/^/gm, '    ');
/** Failures that only echo another one: a suite's failed children, tests its failure cancelled. */
const ECHOES = new Set(['subtestsFailed', 'cancelledByParent']);

/** Any value as text: an object without a primitive form (null prototype) is inspected. */
function text(value) {
  try {
    return String(value);
  } catch {
    return inspect(value);
  }
}

/** The error's message and the first stack frame in the compiled tests or sources. */
function describeError(error) {
  const cause = error?.cause ?? error;
  const message = text(cause?.message ?? cause ?? 'failed').trimEnd();
  const frame = String(cause?.stack ?? '')
    .split('\n')
    .find((line) => /dist\/(test|src|bench)\//.test(line));
  return frame ? `${message}\n${frame.trim()}` : message;
}

const print = (line) => writeSync(1, line);

export default async function* compactReporter(source) {
  const started = Date.now();
  const totals = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  const failures = [];
  /** Per file: the names of the tests open at each nesting, and its stderr. */
  const files = new Map();
  let summarized = false;
  const fileOf = (name) => {
    let file = files.get(name);
    if (!file) files.set(name, (file = { names: [], stderr: '' }));
    return file;
  };
  for await (const { type, data = {} } of source) {
    const name = relative(data.file);
    if (type === 'test:stderr') {
      fileOf(name).stderr += data.message ?? '';
    } else if (type === 'test:start') {
      fileOf(name).names[data.nesting] = data.name;
    } else if (type === 'test:pass' || type === 'test:fail') {
      const file = fileOf(name);
      const error = data.details?.error;
      if (data.details?.type !== 'suite' && relative(data.name) !== name) {
        if (data.skip !== undefined) totals.skipped++;
        else if (data.todo !== undefined) totals.todo++;
        else totals[type === 'test:pass' ? 'passed' : 'failed']++;
      }
      if (type === 'test:fail' && !ECHOES.has(error?.failureType)) {
        const path = [...file.names.slice(0, data.nesting), data.name].join(' › ');
        failures.push({ file: name, path, error: describeError(error), stderr: file.stderr });
      }
    } else if (type === 'test:complete' && data.nesting === 0 && relative(data.name) === name) {
      // The file's own verdict, from node: its tests' events may still be on their way.
      const mark = data.details?.passed === false ? '✖' : '✔';
      print(`${mark} ${name}  ${seconds(data.details?.duration_ms)}\n`);
    } else if (type === 'test:plan' && data.nesting === 0 && data.file === undefined) {
      summarize();
    }
  }
  summarize();

  /** Every failure again in full, then the totals; once. */
  function summarize() {
    if (summarized) return;
    summarized = true;
    for (const [index, failure] of failures.entries()) {
      if (index === 0) print(`\n${failures.length} failure${failures.length > 1 ? 's' : ''}:\n`);
      print(`\n✖ ${failure.file} › ${failure.path}\n${indent(failure.error)}\n`);
      // A file that crashed before its tests ran says why on stderr.
      if (failure.path === failure.file && failure.stderr)
        print(indent(failure.stderr.split('\n').slice(0, 20).join('\n')));
    }
    const { passed, failed, skipped, todo } = totals;
    const verdict = failed > 0 || failures.length > 0 ? 'FAILED' : 'ok';
    print(
      `\n${verdict}: ${passed} passed, ${failed} failed, ${skipped} skipped, ${todo} todo, ${files.size} files, ${seconds(Date.now() - started)}\n`,
    );
  }
}
