import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { diffLines, unifiedDiff } from '../src/k8s/line-diff.ts';
import { requirePeer } from './helpers/peers.ts';
import { tempDir } from './helpers/tmp.ts';

test('unified diff matches diff -u (golden)', () => {
  const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].join('\n') + '\n';
  const after = before.replace('b\n', 'B\n').replace('k\n', 'k\nk2\n');
  assert.equal(
    unifiedDiff(before, after, { fromFile: 'a/x', toFile: 'b/x' }),
    `--- a/x
+++ b/x
@@ -1,5 +1,5 @@
 a
-b
+B
 c
 d
 e
@@ -9,4 +9,5 @@
 i
 j
 k
+k2
 l
`,
  );
  assert.equal(unifiedDiff(before, before, { fromFile: 'a', toFile: 'b' }), '');
  assert.equal(unifiedDiff('x', 'y', { fromFile: 'a', toFile: 'b' }), '--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n');
  assert.equal(unifiedDiff('', 'y\n', { fromFile: 'a', toFile: 'b' }), '--- a\n+++ b\n@@ -0,0 +1 @@\n+y\n');
});

test('the edit script is minimal on small cases', () => {
  const ops = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
  assert.equal(ops.filter((o) => o.type !== ' ').length, 5); // the classic Myers example: D = 5
});

test('random diffs apply cleanly with GNU patch', { skip: requirePeer('patch') }, async (t) => {
  const dir = await tempDir('ferry-k8s-diff', t);
  const run = promisify(execFile);
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 40; round++) {
    const a = Array.from({ length: rand(30) }, () => `line ${rand(6)}`);
    const b = [...a];
    for (let edits = rand(6); edits > 0; edits--) {
      const at = rand(b.length + 1);
      const what = rand(3);
      if (what === 0) b.splice(at, 0, `new ${rand(100)}`);
      else if (what === 1 && b.length > 0) b.splice(at % b.length, 1);
      else if (b.length > 0) b[at % b.length] = `changed ${rand(100)}`;
    }
    const before = a.length > 0 ? `${a.join('\n')}\n` : '';
    const after = b.length > 0 ? `${b.join('\n')}\n` : '';
    const diff = unifiedDiff(before, after, { fromFile: 'a/f', toFile: 'b/f' });
    if (before === after) continue;
    const file = join(dir, `f${round}`);
    await writeFile(file, before);
    await writeFile(`${file}.diff`, diff);
    await run('patch', ['--quiet', '--force', file, `${file}.diff`]);
    assert.equal(await readFile(file, 'utf8'), after, `round ${round}:\n${diff}`);
  }
});
