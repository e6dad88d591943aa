#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each. A finding is
# written to the package's testdata/fuzz (so it replays in `make test`)
# and fails the run with the fuzzer's own report. A failure of the fuzz
# engine itself (a worker that hangs or dies with no reproducer on disk,
# which happens on an overloaded two-core machine) is reported and
# retried once, so that it is neither hidden nor mistaken for a bug.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
log=$(mktemp)
stamp=$(mktemp)
trap 'rm -f "$log" "$stamp"' EXIT

crashers() { find . -path '*/testdata/fuzz/*' -type f -newer "$stamp" 2>/dev/null; }

for pkg in ${FUZZPKGS:-$($GO list ./...)}; do
  for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz $pkg $f"
    for attempt in 1 2; do
      touch "$stamp"
      if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
        break
      fi
      found=$(crashers)
      if [ -n "$found" ] || [ "$attempt" = 2 ]; then
        tail -n 40 "$log"
        [ -n "$found" ] && echo "fuzz: new failing input: $found"
        exit 1
      fi
      echo "fuzz: engine failure without a reproducer; retrying once:"
      tail -n 8 "$log" | sed 's/^/  | /'
    done
  done
done
