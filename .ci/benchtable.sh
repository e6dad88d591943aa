#!/usr/bin/env bash
# Turns `go test -bench` output into one markdown table: each benchmark's
# figure, the reference it measured in the same run, and their ratio.
awk '
BEGIN {
  print "| benchmark | figure | reference (same run) | ratio | other |"
  print "|---|---:|---:|---:|---|"
}
/^(goos|goarch|cpu):/ { if (!seen[$0]++) machine = machine " " $0 }
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
  fig = ""; ref = ""; ratio = ""; other = ""
  for (i = 3; i < NF; i += 2) {
    v = $i; u = $(i + 1)
    if (u == "ns/op") continue
    if (u ~ /^ref_/) { sub(/^ref_/, "", u); ref = v " " u }
    else if (u == "%_of_ref") ratio = v "%"
    else if (u == "req/s" || u == "MiB/s" || u == "p99_ms" || u == "s") fig = v " " u
    else other = other (other == "" ? "" : ", ") u "=" v
  }
  printf "| %s | %s | %s | %s | %s |\n", name, fig, ref, ratio, other
}
END { if (machine != "") print "\nMachine:" machine }
'
