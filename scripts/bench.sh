#!/usr/bin/env bash
# `npm run bench [-- NAME… [--runs N] [--quick]]`: prepares the checkout
# (scripts/setup.sh: Node, dependencies, a fresh dist/ for bin/ferry), then
# runs every benchmark under bench/ (copy, sync, mirror, serve, ui), or the ones
# named. Benchmarks print markdown tables of what they measured; they never
# pass or fail on the figures. Options after the names go to every benchmark.
# Exit status: 0 when every benchmark ran to the end, 1 when one crashed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all=(copy sync mirror serve ui)
names=()
options=()
for arg in "$@"; do
  case "$arg" in
    -*) options+=("$arg") ;;
    *) if [ ${#options[@]} -gt 0 ]; then options+=("$arg"); else names+=("$arg"); fi ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for name in "${names[@]}"; do
  if [ ! -f "bench/$name.ts" ] || [ -d "bench/$name.ts" ] || [[ "$name" == */* ]]; then
    echo "ferry bench: no benchmark \"$name\" (have: ${all[*]})" >&2
    exit 2
  fi
done

bash scripts/setup.sh --peers
for peer in docker-registry skopeo; do
  command -v "$peer" >/dev/null 2>&1 || { echo "ferry bench: $peer is required (apt-get install $peer)" >&2; exit 1; }
done

failed=()
for name in "${names[@]}"; do
  echo
  echo "# bench/$name.ts ${options[*]:-}"
  echo
  if ! bash scripts/node.sh --disable-warning=ExperimentalWarning "bench/$name.ts" ${options[@]+"${options[@]}"}; then
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "ferry bench: these benchmarks did not run to the end: ${failed[*]}" >&2
  exit 1
fi
