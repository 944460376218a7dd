// Runs every test/**/*.test.ts file (or those whose path contains an argument) through uvu and
// ends with the line CI reads: "N passed, N failed".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

type Result = [errs: string, ran: number, skip: number, max: number];
type Queue = Array<Array<string | null | (() => Promise<Result>)>>;
const g = globalThis as unknown as { UVU_DEFER: number; UVU_INDEX: number; UVU_QUEUE: Queue };

function find(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const here = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = find(here)
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

g.UVU_DEFER = 1;
const uvu = await import('uvu');
g.UVU_QUEUE ??= [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const [i, file] of files.entries()) {
  g.UVU_INDEX = i;
  g.UVU_QUEUE.push([relative(here, file)]);
  await import(pathToFileURL(file).href);
}
// Count what each suite reports: uvu prints totals but no pass/fail line that CI reads.
for (const group of g.UVU_QUEUE) {
  for (let k = 1; k < group.length; k++) {
    const suiteRun = group[k] as () => Promise<Result>;
    group[k] = async () => {
      const r = await suiteRun();
      const [, ran, skip, max] = r;
      // uvu's max counts the tests that ran (test.skip and tests left out by .only are not among
      // them; they are in skip), so every test that ran and did not pass failed.
      passed += ran;
      skipped += skip;
      failed += max - ran;
      return r;
    };
  }
}
await uvu.exec(false);
// CI reads the last line, which must be exactly "N passed, N failed": skips go on the line before.
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
