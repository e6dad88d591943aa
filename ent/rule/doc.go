// Package rule holds the ent privacy rules that keep the partner boundary:
// they are evaluated on every query and mutation, whoever issues it.
//
// This package is written by hand; `go generate ./ent` never touches it
// (ent/README.md lists what is generated and what is not).
package rule
