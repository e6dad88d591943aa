// Package storage keeps document bytes in an object store: MinIO (any S3
// API) in production, or a directory on local disk for the embedded
// default. Both backends pass the same contract tests.
package storage

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"
)

// ErrNotFound is returned for a key that holds no object.
var ErrNotFound = errors.New("storage: object not found")

// ErrTooLarge is returned when a body is longer than the size it declared.
var ErrTooLarge = errors.New("storage: body longer than its declared size")

// Object describes a stored object.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store is the small object-store interface Tierlink needs.
type Store interface {
	// Put streams exactly size bytes from r under key. A body shorter or
	// longer than size is an error and leaves no object.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens an object for reading.
	Get(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Stat describes an object.
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose keys start with prefix.
	List(ctx context.Context, prefix string) iter.Seq2[Object, error]
	// PresignGet returns a URL that downloads the object for ttl as an
	// attachment named filename, or "" when the backend cannot presign
	// (then the portal streams the object itself).
	PresignGet(ctx context.Context, key string, ttl time.Duration, filename, contentType string) (string, error)
	// Name says which backend this is, for logs and readiness.
	Name() string
}

// exactReader yields exactly n bytes of r: a shorter body is
// io.ErrUnexpectedEOF, a longer one ErrTooLarge.
type exactReader struct {
	r    io.Reader
	left int64
	// failed keeps a short or long body's error, which clients (minio-go)
	// may wrap beyond recognition.
	failed error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(e.r, one[:]); n > 0 {
			e.failed = ErrTooLarge
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		e.failed = io.ErrUnexpectedEOF
		return n, io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}
