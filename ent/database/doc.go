// Package database opens Tierlink's database of record (SQLite embedded, or
// PostgreSQL) as an ent client and applies the versioned migrations.
//
// This package is written by hand; `go generate ./ent` never touches it
// (ent/README.md lists what is generated and what is not).
package database
