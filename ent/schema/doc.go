// Package schema declares Tierlink's records for ent: fields, edges,
// indexes, mixins and, in policy.go, the privacy policies that keep the
// partner boundary. Everything else under ent/ except rule, viewer,
// database and generate.go is generated from this package.
//
// This package is written by hand; `go generate ./ent` never touches it
// (ent/README.md lists what is generated and what is not).
package schema
