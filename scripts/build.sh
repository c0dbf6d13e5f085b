#!/usr/bin/env bash
# Compiles src/ to dist/ (JavaScript + declarations, the library) and bundles
# the CLI into dist/bundle/ (what bin/ferry runs), then stamps it, so bin/ferry
# can tell a current build from a stale one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rm -rf dist
bash scripts/node.sh node_modules/typescript/bin/tsc -p tsconfig.build.json
# The web UI's stylesheet, script and icon are read beside the compiled module.
cp -R src/server/ui/assets dist/server/ui/assets
# The CLI as a bundle (see scripts/bundle.ts).
bash scripts/node.sh --disable-warning=ExperimentalWarning scripts/bundle.ts
touch dist/.built
