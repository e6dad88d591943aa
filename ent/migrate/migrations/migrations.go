// Package migrations embeds the versioned schema migrations, one directory
// per dialect, generated from the ent schema by `make migrations` and
// committed, so production never auto-migrates.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql, applied in name order.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
