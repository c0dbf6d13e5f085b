#!/usr/bin/env bash
# Prepares a fresh checkout: a Node >= 22 (scripts/node.sh) and the npm dependencies.
# With --peers it also installs the real peers the tests and benchmarks run against
# (Debian's docker-registry, skopeo, umoci, openssl, apache2-utils, GnuPG, docker.io, podman,
# GNU patch, and chromium for the web UI's browser tests) when missing.
# The tests start their own dockerd and Podman stores in temp dirs; nothing is enabled as a service.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/node.sh -e '' # fetches Node when the machine's is too old
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/build.sh
if [ "${1:-}" = "--peers" ]; then
  missing=()
  for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci openssl:openssl htpasswd:apache2-utils gpg:gnupg gpgv:gpgv dockerd:docker.io podman:podman setpriv:util-linux chromium:chromium patch:patch; do
    # dockerd lives in /usr/sbin, which a non-root PATH may lack.
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "ferry: installing test peers with apt-get: ${missing[*]}" >&2
      apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "ferry: missing test peers (${missing[*]}); install them with apt-get as root" >&2
    fi
  fi
fi
