package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIOConfig configures the MinIO (S3 API) backend.
type MinIOConfig struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	// Region is always set, so presigning needs no network round trip to
	// discover it.
	Region string
	Secure bool
	// PartSize bounds the memory of one upload: minio-go buffers one part.
	PartSize uint64
}

// MinIO stores objects in a MinIO bucket.
type MinIO struct {
	c   *minio.Client
	cfg MinIOConfig
}

// NewMinIO connects to MinIO and creates the bucket if it is missing.
func NewMinIO(ctx context.Context, cfg MinIOConfig) (*MinIO, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = 8 << 20
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("minio: %w", err)
	}
	m := &MinIO{c: c, cfg: cfg}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("minio %s: %w", cfg.Endpoint, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			// Another instance may have created it meanwhile.
			if ok, err2 := c.BucketExists(ctx, cfg.Bucket); err2 != nil || !ok {
				return nil, fmt.Errorf("minio: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return m, nil
}

// Name implements Store.
func (m *MinIO) Name() string { return "minio:" + m.cfg.Endpoint + "/" + m.cfg.Bucket }

// Client exposes the minio-go client, for benchmarks that compare against
// it.
func (m *MinIO) Client() *minio.Client { return m.c }

// Put implements Store. The size is always passed, so minio-go never
// buffers an unbounded stream; large objects go up in PartSize parts, one
// at a time.
func (m *MinIO) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if size < 0 {
		return errors.New("minio storage: size must be known")
	}
	er := &exactReader{r: r, left: size}
	_, err := m.c.PutObject(ctx, m.cfg.Bucket, key, er, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    m.cfg.PartSize,
		NumThreads:  2,
		// Two part buffers in flight: bounded memory, but the next part
		// reads while the previous one uploads.
		ConcurrentStreamParts: true,
	})
	if err != nil && er.failed != nil {
		return er.failed
	}
	return err
}

func notFound(err error) bool {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code == "NoSuchKey" || er.StatusCode == 404
	}
	return false
}

// Get implements Store.
func (m *MinIO) Get(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	o, err := m.c.GetObject(ctx, m.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Object{}, err
	}
	st, err := o.Stat()
	if err != nil {
		_ = o.Close()
		if notFound(err) {
			return nil, Object{}, ErrNotFound
		}
		return nil, Object{}, err
	}
	return o, Object{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Stat implements Store.
func (m *MinIO) Stat(ctx context.Context, key string) (Object, error) {
	st, err := m.c.StatObject(ctx, m.cfg.Bucket, key, minio.StatObjectOptions{})
	if notFound(err) {
		return Object{}, ErrNotFound
	} else if err != nil {
		return Object{}, err
	}
	return Object{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete implements Store.
func (m *MinIO) Delete(ctx context.Context, key string) error {
	err := m.c.RemoveObject(ctx, m.cfg.Bucket, key, minio.RemoveObjectOptions{})
	if notFound(err) {
		return nil
	}
	return err
}

// List implements Store.
func (m *MinIO) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for o := range m.c.ListObjects(ctx, m.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if o.Err != nil {
				yield(Object{}, o.Err)
				return
			}
			if !yield(Object{Key: o.Key, Size: o.Size, ModTime: o.LastModified}, nil) {
				return
			}
		}
	}
}

// PresignGet implements Store: the link names the file for the browser's
// save dialog and expires after ttl.
func (m *MinIO) PresignGet(ctx context.Context, key string, ttl time.Duration, filename, contentType string) (string, error) {
	params := url.Values{}
	params.Set("response-content-disposition", ContentDisposition(filename))
	if contentType != "" {
		params.Set("response-content-type", contentType)
	}
	u, err := m.c.PresignedGetObject(ctx, m.cfg.Bucket, key, ttl, params)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// ContentDisposition returns an attachment header for filename, safe for
// any name a user uploaded: an ASCII fallback plus the RFC 5987 UTF-8 form.
func ContentDisposition(filename string) string {
	name := SanitizeFilename(filename)
	ascii := make([]rune, 0, len(name))
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			r = '_'
		}
		ascii = append(ascii, r)
	}
	v := mime.FormatMediaType("attachment", map[string]string{"filename": string(ascii)})
	if v == "" {
		v = `attachment; filename="download"`
	}
	return v + "; filename*=UTF-8''" + url.PathEscape(name)
}
