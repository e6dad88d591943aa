// Package ent holds Tierlink's data of record: hand-written schemas in
// ./schema and the code ent generates from them.
package ent

//go:generate go run entgo.io/ent/cmd/ent generate --feature privacy,entql,sql/upsert,sql/lock,sql/modifier,sql/execquery ./schema
