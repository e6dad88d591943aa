#!/usr/bin/env bash
# govulncheck ./... against the Go vulnerability database. vuln.go.dev is
# out of reach here but the module proxy is not, and golang.org/x/vulndb
# carries every advisory as OSV: the database is built from a pinned
# snapshot of that module with its own gendb tool (which wants a git
# repository, so the data is committed into a throwaway one), once, into
# the tool cache. Bump VULNDB_VERSION to take newer advisories.
set -euo pipefail
GO=${GO:-go}
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0
CACHE=${TIERLINK_TOOLS_CACHE:-$HOME/.cache/tierlink-tools}
DB=$CACHE/vulndb-$VULNDB_VERSION
BIN=$CACHE/govulncheck-$GOVULNCHECK_VERSION/govulncheck
mkdir -p "$CACHE"

if [ ! -x "$BIN" ]; then
  echo "vuln: installing govulncheck $GOVULNCHECK_VERSION"
  GOBIN=$(dirname "$BIN") $GO install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
fi

if [ ! -f "$DB/index/db.json" ]; then
  echo "vuln: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION"
  work=$(mktemp -d)
  trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
  mkdir -p "$work/tool" "$work/repo"
  printf 'module vulndbtool\n\ngo 1.26\n' > "$work/tool/go.mod"
  src=$(cd "$work/tool" && $GO mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp -r "$src/data" "$work/repo/"
  chmod -R u+w "$work/repo"
  git -C "$work/repo" init -q
  git -C "$work/repo" add -A
  git -C "$work/repo" -c user.name=tierlink-ci -c user.email=ci@tierlink.invalid commit -qm "vulndb $VULNDB_VERSION"
  (cd "$work/tool" && GOFLAGS=-mod=mod $GO run "golang.org/x/vulndb/cmd/gendb@$VULNDB_VERSION" -repo "$work/repo" -out "$DB.tmp")
  rm -rf "$DB"
  mv "$DB.tmp" "$DB"
fi

echo "vuln: $($GO version) against golang.org/x/vulndb@$VULNDB_VERSION"
"$BIN" -db "file://$DB" ./...
