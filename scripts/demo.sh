#!/usr/bin/env bash
# The main job on an embedded default: synthetic images → OCI layout → ferry serve → back, printed step by step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
exec bash scripts/node.sh --disable-warning=ExperimentalWarning scripts/demo.ts "$@"
