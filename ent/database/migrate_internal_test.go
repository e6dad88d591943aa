package database

import (
	"context"
	"path/filepath"
	"testing"
)

// Later migrations rebuild tables other rows refer to (SQLite changes a
// column by copying the table); they must keep every row and every
// reference of a database that already holds data, not only of an empty
// one.
func TestSQLiteMigrationsKeepReferencedRows(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Target{Dialect: "sqlite3", Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := Migrations(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.migrate(ctx, ms[:1]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO users (id, created_at, updated_at, email, name, role) VALUES (1, datetime('now'), datetime('now'), 'a@example.com', 'A', 'buyer')",
		"INSERT INTO partners (id, created_at, updated_at, code, name, sort_key, search_text, kind, tags, categories) VALUES (1, datetime('now'), datetime('now'), 'P1', 'P', 'p', 'p', 'supplier', '[]', '[]')",
		"INSERT INTO contacts (id, created_at, updated_at, name, sort_key, search_text, partner_id, owner_id) VALUES (1, datetime('now'), datetime('now'), 'C', 'c', 'c', 1, 1)",
	} {
		if _, err := db.Writer.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	applied, err := db.migrate(ctx, ms[1:])
	if err != nil {
		t.Fatalf("migrating a database with data: %v", err)
	}
	if len(applied) != len(ms)-1 {
		t.Fatalf("applied %d of %d", len(applied), len(ms)-1)
	}
	var owner, partner int
	if err := db.Writer.QueryRowContext(ctx, "SELECT owner_id, partner_id FROM contacts WHERE id = 1").Scan(&owner, &partner); err != nil || owner != 1 || partner != 1 {
		t.Fatalf("contact after migrations: owner %d partner %d, %v", owner, partner, err)
	}
	var email string
	if err := db.Writer.QueryRowContext(ctx, "SELECT email FROM users WHERE id = 1").Scan(&email); err != nil || email != "a@example.com" {
		t.Fatalf("user after migrations: %q, %v", email, err)
	}
	// Foreign keys are enforced again afterwards.
	var fk int
	if err := db.Writer.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
	if _, err := db.Writer.ExecContext(ctx, "DELETE FROM users WHERE id = 1"); err == nil {
		t.Fatal("deleting a user a contact refers to succeeded: foreign keys are off")
	}
}
