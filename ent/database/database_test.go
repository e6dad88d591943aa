package database_test

import (
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
)

// The committed migrations, applied to an empty database, must build
// exactly what the ent schema describes: otherwise someone changed a
// schema without generating a migration.
func TestMigrationsMatchSchema(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			db := dbtest.Open(t, d)
			pending, err := db.Pending(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if pending != "" {
				t.Fatalf("schema has changes no migration covers; run `make migrations NAME=…`:\n%s", pending)
			}
			// Applying again is a no-op.
			applied, err := db.Migrate(context.Background())
			if err != nil || len(applied) != 0 {
				t.Fatalf("second migrate applied %v, err %v", applied, err)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, dialect, path, err string
	}{
		{"", dialect.SQLite, "data/tierlink.db", ""},
		{"sqlite:///var/lib/t.db", dialect.SQLite, "/var/lib/t.db", ""},
		{"sqlite://rel/t.db", dialect.SQLite, "rel/t.db", ""},
		{"postgres://u@h:5432/db", dialect.Postgres, "", ""},
		{"postgresql://u@h/db", dialect.Postgres, "", ""},
		{"mysql://x", "", "", "unsupported scheme"},
		{"postgres:///db", "", "", "needs a host"},
		{"sqlite://", "", "", "needs a file path"},
		{"::::", "", "", "not a URL"},
	} {
		got, err := database.ParseURL(tc.in, "data")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Dialect != tc.dialect || (tc.path != "" && got.Path != tc.path) {
			t.Errorf("ParseURL(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestStatements(t *testing.T) {
	src := "-- c\nBEGIN;\nCREATE TABLE a (x int);\nCREATE INDEX i\n ON a (x);\nCOMMIT;\n"
	got := database.Statements(src)
	if len(got) != 2 || !strings.HasPrefix(got[1], "CREATE INDEX i") {
		t.Fatalf("Statements = %q", got)
	}
}

// The SQLite reader pool is read-only; a write sent to it must fail
// rather than silently compete with the writer.
func TestSQLiteReaderIsReadOnly(t *testing.T) {
	db := dbtest.Open(t, dialect.SQLite)
	if _, err := db.Reader.Exec("CREATE TABLE x (a int)"); err == nil {
		t.Fatal("write through the reader pool succeeded")
	}
	var mode string
	if err := db.Writer.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := db.Reader.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
}
