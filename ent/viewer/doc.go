// Package viewer carries who is acting through a context.Context, so that
// ent privacy rules, domain services and jobs all ask one place.
//
// This package is written by hand; `go generate ./ent` never touches it
// (ent/README.md lists what is generated and what is not).
package viewer
