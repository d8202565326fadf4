// The layering rule of STYLE.md, checked on every src/**/*.ts file: imports point downward only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Which layers (top-level folders of src/) each layer may import; its own is always allowed. */
const ALLOWED: Record<string, readonly string[] | 'anything'> = {
  protocol: [],
  topic: ['protocol'],
  broker: ['protocol', 'topic'],
  transport: ['broker', 'protocol', 'topic'],
  store: ['broker/ports', 'protocol', 'topic'],
  auth: ['broker', 'protocol', 'topic'],
  cluster: ['broker', 'protocol', 'topic'],
  admin: ['broker', 'protocol', 'topic', 'rules', 'sql', 'connectors'],
  client: ['protocol', 'topic', 'mqttsn'],
  check: ['protocol', 'topic'],
  sql: ['topic'],
  connectors: ['sql', 'client', 'protocol', 'topic'],
  rules: ['broker', 'protocol', 'topic', 'sql', 'connectors'],
  mqttsn: [],
  gateway: ['broker', 'protocol', 'topic', 'mqttsn'],
  cli: 'anything',
  '.': 'anything', // src/server.ts, src/index.ts compose everything
};

/** The codec has no I/O: of Node's modules it may use only node:buffer. */
const PROTOCOL_BUILTINS = new Set(['node:buffer', 'buffer']);

interface SourceFile {
  path: string; // relative to src/, with '/' separators
  text: string;
}

/** Relative module specifiers of `from '...'`, `import '...'` and `import('...')`. */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
  const pattern =
    /\bfrom\s*(['"])([^'"]+)\1|\bimport\s*(['"])([^'"]+)\3|\bimport\s*\(\s*(['"])([^'"]+)\5\s*\)/g;
  const found: string[] = [];
  for (const match of code.matchAll(pattern)) found.push((match[2] ?? match[4] ?? match[6])!);
  return found;
}

/** The layer of a path under src/: its first folder, or '.' for files directly in src/. */
const layerOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '.');

/** Whether `target` (a path under src/, no extension) is inside an allowed layer or module. */
function allowedTarget(allowed: readonly string[], target: string): boolean {
  return allowed.some((entry) => target === entry || target.startsWith(`${entry}/`));
}

/** Every import in `files` that breaks the layering, as "file: 'specifier' (reason)". */
function findViolations(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    const rule = ALLOWED[layer];
    for (const specifier of importsOf(file.text)) {
      const problem = checkImport(file.path, layer, rule, specifier);
      if (problem) violations.push(`src/${file.path}: '${specifier}' (${problem})`);
    }
  }
  return violations;
}

function checkImport(
  path: string,
  layer: string,
  rule: readonly string[] | 'anything' | undefined,
  specifier: string,
): string | undefined {
  if (rule === undefined) return `folder src/${layer} is not a known layer`;
  if (!specifier.startsWith('.')) {
    const isBuiltin = specifier.startsWith('node:') || builtinModules.includes(specifier);
    if (layer !== 'protocol' || PROTOCOL_BUILTINS.has(specifier)) return undefined;
    return isBuiltin
      ? 'protocol uses no Node module but node:buffer'
      : 'protocol has no dependencies';
  }
  const target = posix.normalize(posix.join(posix.dirname(path), specifier));
  if (target.startsWith('../')) return 'points outside src/';
  const targetLayer = layerOf(target);
  if (targetLayer === layer || rule === 'anything') return undefined;
  if (ALLOWED[targetLayer] === undefined) return `src/${targetLayer} is not a known layer`;
  const withoutExtension = target.replace(/\.(js|ts)$/, '');
  if (allowedTarget(rule, withoutExtension)) return undefined;
  return `${layer} may import only ${rule.join(', ') || 'nothing'}`;
}

function readSources(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const path = entry.split(sep).join('/');
    files.push({ path, text: readFileSync(join(root, entry), 'utf8') });
  }
  return files;
}

// Compiled to dist/test/, so the sources are two levels up.
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

describe('layering (STYLE.md): imports point downward only', () => {
  it('every src/**/*.ts import points the allowed way', () => {
    const files = readSources(SRC);
    assert.ok(files.length > 0, `no sources under ${SRC}`);
    const violations = findViolations(files);
    assert.deepEqual(violations, [], `imports pointing the wrong way:\n${violations.join('\n')}`);
  });

  it('reads the sources of the checkout, nested folders included', () => {
    const paths = readSources(SRC).map((f) => f.path);
    assert.ok(paths.includes('protocol/constants.ts'), 'src/protocol/constants.ts read');
    assert.ok(paths.includes('topic/match.ts'), 'src/topic/match.ts read');
  });
});

describe('the layering check itself', () => {
  const check = (path: string, text: string) => findViolations([{ path, text }]);

  it('finds static, re-export, side-effect and dynamic imports, not commented ones', () => {
    const text = [
      "import { a } from '../x/a.js';",
      'import type { B } from "../y/b.js";',
      "export * from './c.js';",
      "import '../z/side.js';",
      "const m = await import('../w/m.js');",
      "// import { no } from '../commented.js';",
      "/* import { no2 } from '../block.js'; */",
      "const url = 'mqtt://localhost'; // from '../fake.js'",
    ].join('\n');
    assert.deepEqual(importsOf(text), [
      '../x/a.js',
      '../y/b.js',
      './c.js',
      '../z/side.js',
      '../w/m.js',
    ]);
  });

  it('rejects imports pointing up or sideways', () => {
    assert.equal(check('protocol/frame.ts', "import { x } from '../topic/match.js';").length, 1);
    assert.equal(
      check('topic/match.ts', "import type { B } from '../broker/broker.js';").length,
      1,
    );
    assert.equal(check('broker/router.ts', "import { S } from '../store/memory.js';").length, 1);
    assert.equal(
      check('broker/handlers/publish.ts', "const t = import('../../transport/tcp.js');").length,
      1,
    );
    assert.equal(check('client/client.ts', "import { B } from '../broker/broker.js';").length, 1);
    assert.equal(check('store/memory.ts', "import { S } from '../broker/session.js';").length, 1);
    assert.equal(check('auth/acl.ts', "import { M } from '../store/memory.js';").length, 1);
    assert.equal(check('broker/x.ts', "import { S } from '../server.js';").length, 1);
    assert.equal(check('topic/x.ts', "import { S } from '../../test/helper.js';").length, 1);
    assert.equal(check('plugins/x.ts', "import { S } from '../protocol/packets.js';").length, 1);
    assert.equal(check('broker/x.ts', "import { S } from '../plugins/x.js';").length, 1);
  });

  it('accepts imports pointing down or within a layer', () => {
    const ok = [
      ['protocol/frame.ts', "import { x } from './reader.js';"],
      ['topic/match.ts', "import { C } from '../protocol/constants.js';"],
      ['broker/handlers/publish.ts', "import { x } from '../../topic/index.js';"],
      ['store/memory.ts', "import type { SessionStore } from '../broker/ports.js';"],
      ['transport/tcp.ts', "import { B } from '../broker/broker.js'; import 'node:net';"],
      ['cli/main.ts', "import { s } from '../server.js'; import '../store/lmdb.js';"],
      ['server.ts', "import { b } from './broker/broker.js'; import './admin/api.js';"],
    ];
    for (const [path, text] of ok) assert.deepEqual(check(path!, text!), [], path);
  });

  it('lets protocol use node:buffer and nothing else from outside', () => {
    assert.deepEqual(check('protocol/writer.ts', "import { Buffer } from 'node:buffer';"), []);
    assert.equal(
      check('protocol/frame.ts', "import { EventEmitter } from 'node:events';").length,
      1,
    );
    assert.equal(check('protocol/frame.ts', "import { Socket } from 'net';").length, 1);
    assert.equal(check('protocol/frame.ts', "import pino from 'pino';").length, 1);
    assert.deepEqual(check('broker/x.ts', "import { EventEmitter } from 'node:events';"), []);
  });
});
