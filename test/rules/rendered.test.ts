// Renders kept per template key (src/rules/rendered.ts): what republish makes of its topic and
// payload templates once per placeholder value, bounded, never a stale or invalid render.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_KEPT, MAX_KEY_LENGTH, Rendered } from '../../src/rules/rendered.js';
import { compileTemplate, type Template } from '../../src/sql/index.js';

/** A Rendered of the template's text that counts how often it renders. */
function counted(text: string, valid: (rendered: string) => boolean = () => true) {
  const calls = { made: 0, kept: 0 };
  const rendered = new Rendered(compileTemplate(text), (t: Template, output, kept) => {
    calls.made++;
    if (kept) calls.kept++;
    const value = t.render(output);
    return valid(value) ? value : undefined;
  });
  return { rendered, calls };
}

describe('Rendered', () => {
  it('renders a template without placeholders once', () => {
    const { rendered, calls } = counted('fixed/topic');
    for (let i = 0; i < 5; i++) assert.equal(rendered.get({ clientid: `c${i}` }), 'fixed/topic');
    assert.equal(calls.made, 1);
  });

  it('renders once per value of the one placeholder, and right for each value', () => {
    const { rendered, calls } = counted('out/${clientid}');
    for (const id of ['a', 'b', 'a', 'b', 'c'])
      assert.equal(rendered.get({ clientid: id, other: Math.random() }), `out/${id}`);
    assert.equal(calls.made, 3);
    assert.equal(rendered.size, 3);
  });

  it('keeps no render of several placeholders, of non-text values or of long keys', () => {
    const several = counted('${a}/${b}');
    several.rendered.get({ a: 'x', b: 'y' });
    assert.equal(several.rendered.get({ a: 'x', b: 'z' }), 'x/z');
    assert.deepEqual(several.calls, { made: 2, kept: 0 });
    const numbers = counted('n/${n}');
    assert.equal(numbers.rendered.get({ n: 0 }), 'n/0');
    assert.equal(numbers.rendered.get({ n: -0 }), 'n/0');
    assert.equal(numbers.rendered.size, 0);
    const long = counted('l/${s}');
    long.rendered.get({ s: 'x'.repeat(MAX_KEY_LENGTH + 1) });
    assert.equal(long.rendered.size, 0);
  });

  it('does not keep an invalid render: it is made again (and refused) each time', () => {
    const { rendered, calls } = counted('t/${clientid}', (t) => !t.includes('+'));
    assert.equal(rendered.get({ clientid: '+' }), undefined);
    assert.equal(rendered.get({ clientid: '+' }), undefined);
    assert.equal(calls.made, 2);
    assert.equal(rendered.size, 0);
  });

  it(`holds at most ${MAX_KEPT} renders`, () => {
    const { rendered } = counted('out/${clientid}');
    for (let i = 0; i < MAX_KEPT * 2 + 10; i++) {
      assert.equal(rendered.get({ clientid: `c${i}` }), `out/c${i}`);
      assert.ok(rendered.size <= MAX_KEPT);
    }
  });
});
