#!/usr/bin/env bash
# Installs the pinned npm tools of the tests once into the tool cache:
#   portal/testdata/apiclient  redocly, openapi-typescript, openapi-fetch,
#                              typescript (portal/apicontract_test.go)
#   portal/testdata/pagecheck  axe-core (portal/pagecheck_test.go)
# Each goes into a directory named for the hash of its committed
# package.json and package-lock.json, so a change of pin installs afresh
# and an unchanged one costs nothing. Prints one line per directory.
set -euo pipefail
cd "$(dirname "$0")/.."

install() {
  local src=$1 hash dir tmp
  hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
  dir=${TIERLINK_TOOLS_CACHE:-$HOME/.cache/tierlink-tools}/npm-$hash
  if [ -f "$dir/.installed" ]; then
    echo "npm-tools: $src ready in $dir"
    return 0
  fi
  command -v npm >/dev/null || { echo "npm-tools.sh: needs Node.js 20+ and npm" >&2; exit 1; }
  echo "npm-tools: installing $src/package.json into $dir" >&2
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  # npm ci: exactly the lockfile's versions, checked against its integrity
  # hashes; the lockfile names no registry (it was written with
  # --omit-lockfile-registry-resolved), so npm asks the configured one.
  (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >&2)
  touch "$tmp/.installed"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
  echo "npm-tools: $src ready in $dir"
}

install portal/testdata/apiclient
install portal/testdata/pagecheck
