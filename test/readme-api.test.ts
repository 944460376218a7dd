// The README's API section and the package's declarations say the same thing: every name
// ts/index.ts exports is listed, every listed name is exported, and a name listed under "Types:"
// is a type-only export while the others are values (a type cannot be called or constructed). Read
// with the TypeScript compiler, so re-exports, namespaces and `export type` count as tsc sees them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}ts/index.ts`;

function declaredExports(): Map<string, 'value' | 'type'> {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true, noEmit: true, strict: true, types: ['node'], skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const out = new Map<string, 'value' | 'type'>();
  for (const s of checker.getExportsOfModule(moduleSymbol)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    // `export type { X }` makes even a class type-only at this entry point.
    const typeOnly = (s.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
    out.set(s.name, target.flags & ts.SymbolFlags.Value && !typeOnly ? 'value' : 'type');
  }
  return out;
}

/**
 * The names the README's `## API` section lists: the identifier code spans of its indented list
 * lines (a bullet's own prose may mention names freely), typed by their line; and any listed twice.
 */
function documented(): { names: Map<string, 'value' | 'type'>; twice: string[] } {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const start = readme.indexOf('\n## API\n');
  assert.ok(start >= 0, 'README has an "## API" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const names = new Map<string, 'value' | 'type'>();
  const twice: string[] = [];
  for (const line of section.split('\n')) {
    if (!/^ {2,}\S/.test(line)) continue;
    const kind = /^\s*Types:/.test(line) ? 'type' : 'value';
    for (const [, name] of line.matchAll(/`([A-Za-z_$][\w$]*)`/g)) {
      if (names.has(name!)) twice.push(name!);
      names.set(name!, kind);
    }
  }
  return { names, twice };
}

const declared = declaredExports();
const { names: listed, twice } = documented();

test('the declarations export hundreds of names (the reader works)', () => {
  assert.ok(declared.size > 300, String(declared.size));
  assert.is(declared.get('Sequential'), 'value');
  assert.is(declared.get('lstm'), 'value');
  assert.is(declared.get('FitOptions'), 'type');
});

test('no name is listed twice', () => {
  assert.equal(twice, []);
});

test('every export of ts/index.ts is in the README\'s API section', () => {
  assert.equal([...declared.keys()].filter((n) => !listed.has(n)).sort(), []);
});

test('every name in the README\'s API section is exported', () => {
  assert.equal([...listed.keys()].filter((n) => !declared.has(n)).sort(), []);
});

test('types are listed as types, values as values', () => {
  const wrong = [...listed].filter(([n, k]) => declared.has(n) && declared.get(n) !== k).map(([n, k]) => `${n} listed as a ${k}`);
  assert.equal(wrong, []);
});

test.run();
