#!/usr/bin/env bash
# The whole test suite: type-check, lint, every test. Installs what it needs first.
# Extra arguments are passed to node --test (e.g. a single file).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --peers
echo "== type-check"; bash scripts/node.sh node_modules/typescript/bin/tsc -p tsconfig.json
echo "== lint"; bash scripts/node.sh node_modules/eslint/bin/eslint.js --max-warnings=0 .
echo "== tests"
if [ $# -gt 0 ]; then files=("$@"); else files=("test/**/*.test.ts" "src/**/*.test.ts"); fi
exec bash scripts/node.sh --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
