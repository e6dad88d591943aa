package database

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/tierlink/tierlink/ent/migrate/migrations"
)

// Migration is one versioned schema change file.
type Migration struct {
	Version string
	SQL     string
}

// Migrations returns the committed migrations of a dialect in order.
func Migrations(dialectName string) ([]Migration, error) {
	dir := "sqlite"
	if dialectName == dialect.Postgres {
		dir = "postgres"
	}
	entries, err := fs.ReadDir(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(migrations.FS, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every committed migration not yet applied, each in its
// own transaction, and returns the versions it applied. Several instances
// starting at once are serialised by a lock on the version table.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	return db.migrate(ctx, ms)
}

// migrate applies ms in order; tests stop part-way to check that later
// migrations keep data written under earlier ones.
func (db *DB) migrate(ctx context.Context, ms []Migration) ([]string, error) {
	if _, err := db.Writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS tierlink_migrations (version VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create migration table: %w", err)
	}
	var applied []string
	for _, m := range ms {
		done, err := db.applyOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Version, err)
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

func (db *DB) applyOne(ctx context.Context, m Migration) (bool, error) {
	// SQLite changes a column by rebuilding the table (create new_t, copy,
	// drop t, rename). With foreign keys enforced, dropping a table other
	// rows refer to fails, so — as SQLite's own procedure for altering a
	// table says — keys are switched off for the migration (a no-op
	// inside a transaction, hence on the connection before BEGIN) and
	// checked with foreign_key_check before the commit instead.
	conn, err := db.Writer.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close() //nolint:errcheck // returning the connection to the pool; nothing to do on failure
	if db.Dialect == dialect.SQLite {
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return false, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck // checked by every later write's constraint tests
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if db.Dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE tierlink_migrations IN EXCLUSIVE MODE`); err != nil {
			return false, err
		}
	}
	var n int
	q := `SELECT COUNT(*) FROM tierlink_migrations WHERE version = ?`
	if db.Dialect == dialect.Postgres {
		q = `SELECT COUNT(*) FROM tierlink_migrations WHERE version = $1`
	}
	if err := tx.QueryRowContext(ctx, q, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, stmt := range Statements(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	if db.Dialect == dialect.SQLite {
		rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return false, err
		}
		bad := rows.Next()
		var table string
		if bad {
			_ = rows.Scan(&table)
		}
		rows.Close() //nolint:errcheck // read-only; its error is rows.Err's, and the check already decided
		if bad {
			return false, fmt.Errorf("foreign key broken in table %s after the migration", table)
		}
	}
	ins := `INSERT INTO tierlink_migrations (version, applied_at) VALUES (?, ?)`
	if db.Dialect == dialect.Postgres {
		ins = `INSERT INTO tierlink_migrations (version, applied_at) VALUES ($1, $2)`
	}
	if _, err := tx.ExecContext(ctx, ins, m.Version, time.Now().UTC()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Statements splits a migration file into statements; the files are
// generated, one statement per line-terminated ';', and carry no
// transaction control of their own.
func Statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		if u := strings.ToUpper(strings.TrimSuffix(t, ";")); u == "BEGIN" || u == "COMMIT" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Pending reports the schema changes the ent schema wants beyond what the
// applied migrations built; empty means the migrations are complete.
func (db *DB) Pending(ctx context.Context) (string, error) {
	var b strings.Builder
	// Drops count too: a removed index or column is a change the
	// migrations must carry.
	if err := db.Client.Schema.WriteTo(ctx, &b, schema.WithDropIndex(true), schema.WithDropColumn(true)); err != nil {
		return "", err
	}
	var stmts []string
	for _, s := range Statements(b.String()) {
		if strings.HasPrefix(s, "PRAGMA foreign_keys") {
			continue // no-ops inside the migration's transaction
		}
		stmts = append(stmts, s)
	}
	return strings.Join(stmts, "\n"), nil
}
