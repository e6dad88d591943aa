// Package dbtest opens real, freshly migrated databases for tests: a
// SQLite file in a temp dir, and PostgreSQL when TIERLINK_TEST_POSTGRES_URL
// names a server. Under CI=true a missing PostgreSQL fails the test
// instead of skipping it.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	_ "github.com/tierlink/tierlink/ent/runtime" // privacy policies
)

// PostgresEnv names the variable holding a PostgreSQL admin URL for tests.
const PostgresEnv = "TIERLINK_TEST_POSTGRES_URL"

// Dialects returns the dialects this run tests against: SQLite always,
// PostgreSQL when configured.
func Dialects(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv(PostgresEnv) != "" {
		return []string{dialect.SQLite, dialect.Postgres}
	}
	Require(tb, "PostgreSQL ("+PostgresEnv+")", false)
	return []string{dialect.SQLite}
}

// Require reports a missing service: a failure under CI=true, otherwise a
// log line (the caller decides whether to skip).
func Require(tb testing.TB, service string, skip bool) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is required under CI=true but is not available", service)
	}
	if skip {
		tb.Skipf("%s not available; skipping (set it up to run this test)", service)
	}
	tb.Logf("%s not available; testing SQLite only", service)
}

// Open returns a migrated, empty database of the dialect, closed and
// removed when the test ends.
func Open(tb testing.TB, d string) *database.DB {
	tb.Helper()
	ctx := context.Background()
	var t database.Target
	switch d {
	case dialect.SQLite:
		t = database.Target{Dialect: d, Path: filepath.Join(tb.TempDir(), "test.db")}
	case dialect.Postgres:
		base := os.Getenv(PostgresEnv)
		if base == "" {
			Require(tb, "PostgreSQL ("+PostgresEnv+")", true)
		}
		url, err := freshPostgres(ctx, tb, base)
		if err != nil {
			tb.Fatalf("postgres: %v", err)
		}
		t = database.Target{Dialect: d, URL: url}
	default:
		tb.Fatalf("unknown dialect %q", d)
	}
	db, err := database.Open(ctx, t)
	if err != nil {
		tb.Fatalf("open %s: %v", d, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// PostgresURL returns the URL of a fresh, migrated PostgreSQL database
// for a test that runs the program itself; it skips (or, under CI=true,
// fails) when PostgreSQL is not configured.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		Require(tb, "PostgreSQL ("+PostgresEnv+")", true)
	}
	url, err := freshPostgres(context.Background(), tb, base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	return url
}

var (
	templateMu   sync.Mutex
	templateName string
)

// freshPostgres creates a database for one test from a template that was
// migrated once per process, which is much faster than migrating each.
func freshPostgres(ctx context.Context, tb testing.TB, base string) (string, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	tmpl, err := ensureTemplate(ctx, admin, base)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("tierlink_t_%d_%d", os.Getpid(), rand.Int64())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck
	})
	return database.WithDatabase(base, name)
}

func ensureTemplate(ctx context.Context, admin *sql.DB, base string) (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()
	if templateName != "" {
		return templateName, nil
	}
	// The template's name hashes the migrations, so a schema change makes
	// a new template and a stale one is never reused.
	ms, err := database.Migrations(dialect.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Version + m.SQL))
	}
	name := "tierlink_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		building := fmt.Sprintf("%s_b%d", name, rand.Int64N(1<<30))
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
			return "", err
		}
		url, err := database.WithDatabase(base, building)
		if err != nil {
			return "", err
		}
		db, err := database.Open(ctx, database.Target{Dialect: dialect.Postgres, URL: url})
		if err != nil {
			return "", err
		}
		_, err = db.Migrate(ctx)
		db.Close()
		if err != nil {
			return "", err
		}
		// Another test process may have won the race; either way one
		// complete template ends up under the name.
		if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)") //nolint:errcheck
		}
	}
	templateName = name
	return name, nil
}
