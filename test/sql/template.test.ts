// `${...}` templates for actions (republish topic and payload, HTTP bodies, Redis commands)
// and SQL statements with parameters.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import {
  compileSqlTemplate,
  compileTemplate,
  NO_KEY,
  SqlSyntaxError,
} from '../../src/sql/index.js';

const output = {
  clientid: 'c1',
  t: 31.5,
  n: 7,
  ok: true,
  nothing: null,
  payload: Buffer.from('{"temp":30,"items":[{"id":"a"},{"id":"b"}]}'),
  map: { a: 1, list: [1, 'x'] },
  text: 'plain',
};

describe('compileTemplate', () => {
  it('key: the value a render depends on alone, so callers may keep renders by it', () => {
    assert.equal(compileTemplate('fixed/topic').key(output), undefined);
    assert.equal(compileTemplate('out/${clientid}').key(output), 'c1');
    assert.equal(compileTemplate('${payload.temp}').key(output), 30);
    assert.equal(compileTemplate('${n}/${ok}').key(output), NO_KEY);
    // Equal keys, equal renders: another output with the same value renders the same.
    const other = { ...output, t: 0, text: 'other' };
    for (const text of ['out/${clientid}', 'x${map.list[2]}y', 'fixed']) {
      const template = compileTemplate(text);
      assert.equal(template.key(other), template.key(output), text);
      assert.equal(template.render(other), template.render(output), text);
    }
  });

  it('renders paths into the output; maps and lists as JSON, missing and null as empty', () => {
    const cases: [string, string][] = [
      ['alerts/${clientid}', 'alerts/c1'],
      ['${t}', '31.5'],
      ['${n}/${ok}', '7/true'],
      ['[${nope}][${nothing}]', '[][]'],
      ['${map}', '{"a":1,"list":[1,"x"]}'],
      ['${map.list}', '[1,"x"]'],
      ['${map.list[2]}', 'x'],
      ['${payload}', '{"temp":30,"items":[{"id":"a"},{"id":"b"}]}'],
      ['${payload.temp}', '30'],
      ['${payload.items[-1].id}', 'b'],
      ['${text.x}', ''],
      ['${ clientid }', 'c1'],
      ['no placeholders', 'no placeholders'],
      ['$ {x} and $clientid', '$ {x} and $clientid'],
    ];
    for (const [text, expected] of cases) {
      assert.equal(compileTemplate(text).render(output), expected, text);
    }
  });

  it('${.} is the whole output as JSON, bytes as text', () => {
    const small = { a: 1, p: Buffer.from('x') };
    assert.equal(compileTemplate('${.}').render(small), '{"a":1,"p":"x"}');
  });

  it('renderBytes keeps a binary ${payload} as its bytes', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe]);
    assert.deepEqual(compileTemplate('${payload}').renderBytes({ payload: bytes }), bytes);
    assert.deepEqual(compileTemplate('${t}!').renderBytes({ t: 1 }), Buffer.from('1!'));
    assert.deepEqual(compileTemplate('x').renderBytes({}), Buffer.from('x'));
  });

  it('lists the paths it reads', () => {
    assert.deepEqual(compileTemplate('${a}/${b.c[1]}/${.}').fields, ['a', 'b.c[1]', '.']);
    assert.deepEqual(compileTemplate('plain').fields, []);
  });

  it('refuses an unclosed ${ or a bad path, with the position', () => {
    const bad: [string, string][] = [
      ['a/${b', "line 1, column 3: expected '}' closing '${', found '${b'"],
      ['${}', "line 1, column 3: expected a field path, found '}'"],
      ['${a..b}', "line 1, column 5: expected a key, found '.'"],
      ['${a.}', 'line 1, column 5: expected a key, found end of input'],
      ['${a[x]}', "line 1, column 4: expected a field path, found '[x]'"],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => compileTemplate(text), { name: 'SqlSyntaxError', message }, text);
      assert.throws(() => compileTemplate(text), SqlSyntaxError);
    }
  });
});

describe('compileSqlTemplate', () => {
  it('turns placeholders into $n parameters, never text in the statement', () => {
    const template = compileSqlTemplate(
      'INSERT INTO t(a, b, c, d) VALUES (${clientid}, ${payload.temp}, ${map}, ${nope})',
    );
    assert.equal(template.text, 'INSERT INTO t(a, b, c, d) VALUES ($1, $2, $3, $4)');
    assert.deepEqual(template.params(output), ['c1', 30, '{"a":1,"list":[1,"x"]}', null]);
  });

  it("drops the quotes of '${x}' and gives one parameter per path", () => {
    const template = compileSqlTemplate(
      "INSERT INTO t VALUES ('${clientid}', ${t}, '${clientid}') ON CONFLICT DO NOTHING",
    );
    assert.equal(template.text, 'INSERT INTO t VALUES ($1, $2, $1) ON CONFLICT DO NOTHING');
    assert.deepEqual(template.params(output), ['c1', 31.5]);
  });

  it('keeps bytes as bytes and text with quotes as a parameter (no injection)', () => {
    const template = compileSqlTemplate('SELECT ${p}, ${q}');
    const p = Buffer.from([0xff, 0]);
    assert.deepEqual(template.params({ p, q: "'; DROP TABLE t; --" }), [p, "'; DROP TABLE t; --"]);
    assert.equal(template.text, 'SELECT $1, $2');
  });
});
