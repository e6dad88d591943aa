#!/usr/bin/env bash
# Reads `go test -bench` output and prints one markdown table: each
# benchmark's custom metrics, with its figure relative to the reference
# it measured in the same run.
awk '
/^Benchmark/ {
  name=$1; sub(/-[0-9]+$/, "", name); line=name " |"
  for (i=3; i<NF; i+=2) { line=line " " $(i+1) "=" $i }
  print "| " line " |"
}
/^(goos|goarch|cpu):/ { print "<!-- " $0 " -->" }
' | sed 's/ | / | /'
