/**
 * Bundles the CLI into dist/bundle/ (what bin/ferry runs): a few ES modules
 * instead of ~300, so a no-op sync starts ~75 ms sooner (module resolution and
 * loading; see the README's benchmarks). The library in dist/ stays tsc's
 * output, one file per module, with its declarations.
 *
 * - The commands stay lazily loaded (code splitting keeps each `import()` a chunk).
 * - The Kubernetes client, used only by `release apply`, is loaded from node_modules.
 * - `require` is defined for the CommonJS dependencies (undici, semver…).
 * - The modules sit two levels below the package root, like dist/cli/, so
 *   `../../package.json` still finds the version, and the web UI's assets are
 *   copied beside them.
 */
import { cp } from 'node:fs/promises';
import { build } from 'esbuild';

const out = 'dist/bundle';
await build({
  entryPoints: { ferry: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  splitting: true,
  target: 'node22',
  outdir: out,
  chunkNames: '[name]-[hash]',
  external: ['@kubernetes/client-node'],
  banner: { js: "import { createRequire as ferryCreateRequire } from 'node:module'; const require = ferryCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
await cp('src/server/ui/assets', `${out}/assets`, { recursive: true });
