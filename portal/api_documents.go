package portal

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/storage"
)

// uploadRoutes are the routes whose bodies stream to storage instead of
// being read into memory; every other body is capped at BodyLimit.
var uploadRoutes = regexp.MustCompile(`^/api/v1/(documents(/[0-9]+/versions)?|orders/import)$`)

// limitBodies caps request bodies outside the upload routes. Streaming is
// on for the whole server (so uploads never sit in memory), which means
// fasthttp itself no longer refuses large bodies; this does, before any
// handler reads one.
func (s *Server) limitBodies(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodPost && uploadRoutes.MatchString(c.Path()) {
		return c.Next()
	}
	req := c.Request()
	cl := req.Header.ContentLength()
	if cl > s.cfg.BodyLimit {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the request body is larger than this endpoint accepts")
	}
	if cl == -1 && req.IsBodyStream() { // chunked: length unknown until read
		b, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(s.cfg.BodyLimit)+1))
		if err != nil {
			return badRequest{"the request body could not be read"}
		}
		if len(b) > s.cfg.BodyLimit {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the request body is larger than this endpoint accepts")
		}
		req.SetBody(b)
	}
	return c.Next()
}

// bodyReader is the request body as a stream. fasthttp has no stream
// for a request without a body (or one it already read whole), so fall
// back to the bytes it holds rather than hand a nil reader on.
func bodyReader(c *fiber.Ctx) io.Reader {
	if r := c.Context().RequestBodyStream(); r != nil {
		return r
	}
	return bytes.NewReader(c.Body())
}

// uploadBody is the streaming request body of an upload.
func uploadBody(c *fiber.Ctx) documents.Body {
	return documents.Body{R: bodyReader(c), Size: int64(c.Request().Header.ContentLength()),
		ClaimedType: c.Get(fiber.HeaderContentType)}
}

// downloadQuery picks a version and how to receive it.
type downloadQuery struct {
	Version int `query:"version" validate:"omitempty,min=1"`
	// Redirect false asks for the link as JSON instead of a redirect.
	Redirect *bool `query:"redirect"`
}

// downloadLink is a presigned link, for API callers that asked for it
// instead of a redirect.
type downloadLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	Filename  string    `json:"filename"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
}

func (s *Server) registerDocumentRoutes(r api) {
	docs := s.deps.Documents
	r.list("/", op{Summary: "List documents", Tag: "documents", Access: authed, Query: documents.Filter{}, Resp: documents.Page{},
		Description: "Documents newest first, a page at a time, each with its current version; filter by partner_id, kind, the order, shipment or group " +
			"they belong to, q (title, description, certificate number) and cert_status: valid, expiring (within 30 days) or expired. " +
			"Partner users see only their own partner's documents."},
		listOf(docs.List))
	r.handle("POST", "/", op{Summary: "Upload a document: the body is the file, described by the query", Tag: "documents",
		Description: "Stores a new document and its first version. The body is the file itself with its real Content-Type and a Content-Length; " +
			"the query describes it (dates as YYYY-MM-DD; a certificate's expires_on drives its status). The type is checked against the content, " +
			"the size against the upload limit and the partner's storage quota (413). Buyers and admins upload for any partner, partner users " +
			"for their own; a partner_id the caller cannot see is a 422 on partner_id, like one that does not exist, and viewers are 403.",
		Access: authed, Query: documents.UploadInput{}, Upload: true, Resp: documents.Document{}, Status: 201}, func(c *fiber.Ctx) error {
		in, err := bindQuery[documents.UploadInput](c)
		if err != nil {
			return err
		}
		d, err := docs.Upload(c.UserContext(), in, uploadBody(c))
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(d)
	})
	r.handle("GET", "/:id", op{Summary: "Get a document with its versions", Tag: "documents", Access: authed, Resp: documents.Document{},
		Description: "One document with every version, newest first, and a certificate's particulars and status. " +
			"Partner users may read their own partner's documents only; any other id is 404."},
		byID(docs.Document))
	r.handle("PATCH", "/:id", op{Summary: "Change a document's title, tags or certificate details", Tag: "documents", Access: editor,
		Description: "Changes the descriptive fields sent and keeps the rest; the files are changed only by uploading a new version. " +
			"Dates are YYYY-MM-DD. Buyers and admins.",
		Body: documents.Patch{}, Resp: documents.Document{}}, updateByID(docs.Update))
	r.handle("DELETE", "/:id", op{Summary: "Delete a document and every version's file", Tag: "documents", Access: editor, Status: 204,
		Description: "Deletes the document, all its versions and their stored files, and answers 204 with no body. This cannot be undone; " +
			"the deletion is audited. A document already deleted is 404. Buyers and admins."},
		deleteByID(docs.Delete))
	r.handle("POST", "/:id/versions", op{Summary: "Upload a new version: the body is the file", Tag: "documents", Access: authed,
		Description: "Adds a version that becomes the current one; earlier versions stay downloadable. The body is the file with its real " +
			"Content-Type and a Content-Length, checked as for a new document. Buyers, admins and the document's own partner's users.",
		Query: documents.VersionInput{}, Upload: true, Resp: documents.Document{}, Status: 201}, ifExists(docs.Document, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		in, err := bindQuery[documents.VersionInput](c)
		if err != nil {
			return err
		}
		d, err := docs.AddVersion(c.UserContext(), id, in, uploadBody(c))
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(d)
	}))
	r.handle("GET", "/:id/download", op{Summary: "Download a version: a redirect to a short-lived link, or the file itself",
		Description: "Hands out the current version, or the one named by version, and records the download. Where documents live in an object store " +
			"the answer is a 302 to a presigned link valid for minutes (redirect=false answers the link as JSON instead); otherwise the file itself. " +
			"Anyone who may read the document may download it.",
		Tag: "documents", Access: authed, Query: downloadQuery{}, Resp: downloadLink{}, File: true, Redirect: true}, s.download)
	r.list("/:id/downloads", op{Summary: "Who downloaded the document", Tag: "documents", Access: staff,
		Description: "The document's download record newest first, a page at a time: who took which version, when, from which address, " +
			"and whether by presigned link or through the portal. Staff only.",
		Query: documents.DownloadFilter{}, Resp: documents.DownloadPage{}}, pagedUnder(docs.ListDownloads))
}

func (s *Server) download(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q, err := bindQuery[downloadQuery](c)
	if err != nil {
		return err
	}
	d, err := s.deps.Documents.Download(c.UserContext(), id, q.Version, s.clientIP(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if d.URL != "" {
		if q.Redirect != nil && !*q.Redirect {
			return c.JSON(downloadLink{URL: d.URL, ExpiresAt: d.ExpiresAt, Filename: d.Filename, Size: d.Size, SHA256: d.SHA256})
		}
		return c.Redirect(d.URL, fiber.StatusFound)
	}
	c.Set(fiber.HeaderContentType, d.ContentType)
	c.Set(fiber.HeaderContentDisposition, storage.ContentDisposition(d.Filename))
	c.Set("Digest", "sha-256="+d.SHA256)
	return c.SendStream(d.Body, int(d.Size))
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 0, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
