package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // CGO-free SQLite driver "sqlite"

	"github.com/tierlink/tierlink/ent"
)

// DB is an open database: the ent client plus the raw pools beneath it.
type DB struct {
	Client  *ent.Client
	Dialect string
	// Writer is the pool writes go through (one connection on SQLite).
	Writer *sql.DB
	// Reader serves plain reads; on PostgreSQL it is the same pool as Writer.
	Reader *sql.DB
	drv    dialect.Driver
	url    string // PostgreSQL only, for the relay's own connection
}

// Close closes the client and its pools.
func (db *DB) Close() error { return db.drv.Close() }

// Target says which database a URL selects.
type Target struct {
	Dialect string // dialect.SQLite or dialect.Postgres
	Path    string // SQLite file path
	URL     string // PostgreSQL URL
}

// ParseURL turns TIERLINK_DATABASE_URL into a Target; an empty value means a
// SQLite file in dataDir.
func ParseURL(raw, dataDir string) (Target, error) {
	if raw == "" {
		return Target{Dialect: dialect.SQLite, Path: filepath.Join(dataDir, "tierlink.db")}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		if u.Host == "" {
			return Target{}, errors.New("postgres URL needs a host")
		}
		return Target{Dialect: dialect.Postgres, URL: raw}, nil
	case "sqlite", "file":
		p := u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
		if u.Host != "" {
			p = filepath.Join(u.Host, p)
		}
		if p == "" {
			return Target{}, errors.New("sqlite URL needs a file path, like sqlite:///var/lib/tierlink/tierlink.db")
		}
		return Target{Dialect: dialect.SQLite, Path: p}, nil
	default:
		return Target{}, fmt.Errorf("unsupported scheme %q (use postgres:// or sqlite://)", u.Scheme)
	}
}

// Open opens the target. It does not migrate; call Migrate.
func Open(ctx context.Context, t Target) (*DB, error) {
	switch t.Dialect {
	case dialect.SQLite:
		return openSQLite(ctx, t.Path)
	case dialect.Postgres:
		return openPostgres(ctx, t.URL)
	}
	return nil, fmt.Errorf("unknown dialect %q", t.Dialect)
}

func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	// NORMAL in WAL mode survives process crashes (kill -9); only an OS
	// crash can lose the newest transactions. See docs/operations.md.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_time_format", "sqlite")
	if readOnly {
		// A write sent to the reader pool by mistake fails loudly instead
		// of competing with the one writer for the lock.
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// never fails half-way trying to upgrade a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, err
	}
	// SQLite allows one writer at a time; one connection queues writers in
	// Go instead of in busy-wait loops.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// journal_mode(WAL) is applied by the writer's first connection; the
	// readers must not open before it, or they race to set it.
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: WAL mode not enabled (%q, %v)", path, mode, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	drv := &rwDriver{w: entsql.OpenDB(dialect.SQLite, w), r: entsql.OpenDB(dialect.SQLite, r)}
	return &DB{Client: ent.NewClient(ent.Driver(drv)), Dialect: dialect.SQLite, Writer: w, Reader: r, drv: drv}, nil
}

func openPostgres(ctx context.Context, raw string) (*DB, error) {
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	drv := entsql.OpenDB(dialect.Postgres, db)
	return &DB{Client: ent.NewClient(ent.Driver(drv)), Dialect: dialect.Postgres, Writer: db, Reader: db, drv: drv, url: raw}, nil
}

// rwDriver sends writes and transactions to the single SQLite writer and
// plain reads to a pool of read-only connections, which WAL lets run
// alongside the writer.
type rwDriver struct{ w, r *entsql.Driver }

func (d *rwDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.w.Exec(ctx, query, args, v)
}

func (d *rwDriver) Query(ctx context.Context, query string, args, v any) error {
	if isWrite(query) {
		return d.w.Query(ctx, query, args, v)
	}
	return d.r.Query(ctx, query, args, v)
}

func (d *rwDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.w.Tx(ctx) }

// QueryContext runs a plain read on the reader pool, for the aggregate
// queries ent's builders do not express (scorecards).
func (d *rwDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.r.DB().QueryContext(ctx, query, args...)
}

func (d *rwDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	return d.w.BeginTx(ctx, opts)
}

func (d *rwDriver) Close() error { return errors.Join(d.w.Close(), d.r.Close()) }

func (d *rwDriver) Dialect() string { return dialect.SQLite }

// isWrite catches statements that return rows but change data (INSERT …
// RETURNING), which ent may send through Query.
func isWrite(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC", "PRAGMA":
		return true
	}
	return false
}

// WithDatabase returns the PostgreSQL URL base pointed at database name.
func WithDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Driver is the database's ent driver, for wrapping (tests count the
// queries a piece of work makes through it).
func (db *DB) Driver() dialect.Driver { return db.drv }
