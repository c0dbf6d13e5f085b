import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The floors of src/ are enforced by ESLint's no-restricted-imports
 * (eslint.config.js): an import that points upward, between peers, or from
 * one transport into another fails `npm run lint`. Each case lints a snippet
 * as if it lived at that path, with the project's own configuration.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: ROOT });

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const WRONG: Array<[string, string, RegExp]> = [
  ['src/copy/violation.ts', "import { sync } from '../sync/sync.ts';\nexport const x = sync;\n", /copy sits below .*sync/],
  ['src/repository/violation.ts', "import { openImage } from '../transports/open-image.ts';\nexport const x = openImage;\n", /repository sits below .*transports/],
  ['src/oci/deep/violation.ts', "import { FerryError } from '../../errors.ts';\nimport { runImages } from '../../copy/run-images.ts';\nexport const x = [FerryError, runImages];\n", /oci sits below/],
  ['src/copy/violation.ts', "import { startServer } from '../server/index.ts';\nexport const x = startServer;\n", /copy sits below .*server/],
  ['src/mirror/violation.ts', "import { k8s } from '../index.ts';\nexport const x = k8s;\n", /mirror sits below .*index\.ts/],
  ['src/server/violation.ts', "import { RegistryPool } from '../transports/registry/registry-pool.ts';\nexport const x = RegistryPool;\n", /never uses the registry client/],
  ['src/transports/dir/violation.ts', "import { openLayoutStore } from '../layout/index.ts';\nexport const x = openLayoutStore;\n", /does not import other transports/],
  ['src/transports/containers-storage/violation.ts', "import { openDockerArchive } from '../docker-archive/index.ts';\nexport const x = openDockerArchive;\n", /does not import other transports/],
  ['src/transports/docker-daemon/violation.ts', "import { openContainersStorage } from '../containers-storage/index.ts';\nexport const x = openContainersStorage;\n", /does not import other transports/],
  ['src/cli/commands/violation.ts', "import { login } from '../../transports/registry/auth/login.ts';\nexport const x = login;\n", /public functions/],
  ['src/cli/violation.ts', "import { Command } from 'commander';\nexport const x = Command;\n", /extra-typings/],
  ['src/transports/registry/auth/violation.ts', "import { copyImage } from '../../../copy/copy-image.ts';\nexport const x = copyImage;\n", /transports sit below/],
];

test('an import that points up a floor, across peers or into another transport fails lint', async () => {
  for (const [path, code, message] of WRONG) {
    const errors = await layeringErrors(path, code);
    assert.equal(errors.length, 1, `${path}: ${code}${JSON.stringify(errors)}`);
    assert.match(errors[0]!, message, path);
  }
});

test('imports that point down are allowed, and a transport may use the one it is built on', async () => {
  const RIGHT: Array<[string, string]> = [
    ['src/sync/fine.ts', "import { runImages } from '../copy/run-images.ts';\nimport { openImage } from '../transports/open-image.ts';\nexport const x = [runImages, openImage];\n"],
    ['src/transports/oci-archive/fine.ts', "import { openLayoutStore } from '../layout/index.ts';\nimport { tempName } from '../../util/temp-name.ts';\nexport const x = [openLayoutStore, tempName];\n"],
    ['src/transports/docker-daemon/fine.ts', "import { DockerArchiveWriter } from '../docker-archive/index.ts';\nexport const x = DockerArchiveWriter;\n"],
    ['src/transports/containers-storage/fine.ts', "import { openEngineImage } from '../docker-daemon/index.ts';\nexport const x = openEngineImage;\n"],
    ['src/k8s/fine.ts', "import { clusterResources } from '../mirror/cluster-resources.ts';\nexport const x = clusterResources;\n"],
    ['src/cli/fine.ts', "import { sync } from '../sync/sync.ts';\nimport { SYNC_DESTINATION_TRANSPORTS } from '../transports/transport-table.ts';\nexport const x = [sync, SYNC_DESTINATION_TRANSPORTS];\n"],
  ];
  for (const [path, code] of RIGHT) assert.deepEqual(await layeringErrors(path, code), [], path);
});

test('the lint command itself exits 1 on a file that breaks the layering', async () => {
  const child = spawn('bash', [join(ROOT, 'scripts/node.sh'), join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--max-warnings=0', '--stdin', '--stdin-filename', 'src/copy/upward.ts'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end("import { sync } from '../sync/sync.ts';\nexport const x = sync;\n");
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 1, out);
  assert.match(out, /no-restricted-imports/);
});
