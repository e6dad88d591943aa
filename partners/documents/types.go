// Package documents is supply documents shared with partners: drawings,
// certificates, packing lists, invoices and quality reports, with
// versions, certificate validity and a record of every download.
package documents

import (
	"io"
	"time"

	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/documentdownload"
)

// Kinds of document.
var Kinds = []document.Kind{document.KindDrawing, document.KindCertificate, document.KindPackingList, document.KindInvoice,
	document.KindQualityReport, document.KindOther}

// CertStatus is where a certificate stands today against its expiry
// date; it is computed, never stored.
type CertStatus string

// Certificate statuses.
const (
	CertValid    CertStatus = "valid"
	CertExpiring CertStatus = "expiring" // within 30 days
	CertExpired  CertStatus = "expired"
)

// Certificate is a certificate's particulars and its state today.
type Certificate struct {
	Issuer    string     `json:"issuer"`
	Number    string     `json:"number"`
	ValidFrom *time.Time `json:"valid_from"`
	ExpiresOn *time.Time `json:"expires_on"`
	// Mandatory certificates must be valid for a partner that blocks
	// orders on a lapse.
	Mandatory bool `json:"mandatory"`
	// Status is valid, expiring (within 30 days), expired, or "" when no
	// expiry is known.
	Status CertStatus `json:"status"`
}

// Version is one uploaded file of a document.
type Version struct {
	ID          int    `json:"id"`
	Version     int    `json:"version"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Filename    string `json:"filename"`
	UploadedBy  string `json:"uploaded_by"`
	// UploadedByName is the uploader's name, for people to read.
	UploadedByName string    `json:"uploaded_by_name,omitempty"`
	UploadedByID   *int      `json:"uploaded_by_id"`
	CreatedAt      time.Time `json:"created_at"`
}

// Document is a document as shown to callers.
type Document struct {
	ID             int           `json:"id"`
	PartnerID      int           `json:"partner_id"`
	Kind           document.Kind `json:"kind"`
	Title          string        `json:"title"`
	Description    string        `json:"description"`
	Tags           []string      `json:"tags"`
	CurrentVersion int           `json:"current_version"`
	Current        *Version      `json:"current"`
	Versions       []Version     `json:"versions,omitempty"`
	Certificate    *Certificate  `json:"certificate,omitempty"`
	OrderID        *int          `json:"order_id"`
	ShipmentID     *int          `json:"shipment_id"`
	GroupID        *int          `json:"group_id"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// UploadInput describes a new document; it travels in the query string
// because the request body is the file itself.
type UploadInput struct {
	PartnerID   int           `query:"partner_id" validate:"required,min=1"`
	Kind        document.Kind `query:"kind" validate:"required,oneof=drawing certificate packing_list invoice quality_report other"`
	Filename    string        `query:"filename" validate:"required,max=255"`
	Title       string        `query:"title" validate:"max=200"`
	Description string        `query:"description" validate:"max=2000"`
	Tags        string        `query:"tags" validate:"max=400"`
	CertIssuer  string        `query:"cert_issuer" validate:"max=200"`
	CertNumber  string        `query:"cert_number" validate:"max=100"`
	ValidFrom   string        `query:"valid_from" validate:"omitempty,datetime=2006-01-02"`
	ExpiresOn   string        `query:"expires_on" validate:"omitempty,datetime=2006-01-02"`
	Mandatory   bool          `query:"mandatory"`
	OrderID     int           `query:"order_id" validate:"omitempty,min=1"`
	ShipmentID  int           `query:"shipment_id" validate:"omitempty,min=1"`
	GroupID     int           `query:"group_id" validate:"omitempty,min=1"`
}

// VersionInput describes a new version of a document.
type VersionInput struct {
	Filename string `query:"filename" validate:"required,max=255"`
}

// Patch changes a document's descriptive fields.
type Patch struct {
	Title       *string   `json:"title" validate:"omitempty,min=1,max=200"`
	Description *string   `json:"description" validate:"omitempty,max=2000"`
	Tags        *[]string `json:"tags" validate:"omitempty,max=20,dive,required,max=40"`
	CertIssuer  *string   `json:"cert_issuer" validate:"omitempty,max=200"`
	CertNumber  *string   `json:"cert_number" validate:"omitempty,max=100"`
	ValidFrom   *string   `json:"valid_from" validate:"omitempty,datetime=2006-01-02"`
	ExpiresOn   *string   `json:"expires_on" validate:"omitempty,datetime=2006-01-02"`
	Mandatory   *bool     `json:"mandatory"`
}

// Filter narrows a document listing.
type Filter struct {
	PartnerID  int           `query:"partner_id" validate:"omitempty,min=1"`
	Kind       document.Kind `query:"kind" validate:"omitempty,oneof=drawing certificate packing_list invoice quality_report other"`
	CertStatus CertStatus    `query:"cert_status" validate:"omitempty,oneof=valid expiring expired"`
	Q          string        `query:"q" validate:"max=100"`
	OrderID    int           `query:"order_id" validate:"omitempty,min=1"`
	ShipmentID int           `query:"shipment_id" validate:"omitempty,min=1"`
	GroupID    int           `query:"group_id" validate:"omitempty,min=1"`
	Cursor     string        `query:"cursor" validate:"max=200"`
	Limit      int           `query:"limit" validate:"omitempty,min=1,max=200"`
}

// Page is one page of documents, newest first.
type Page struct {
	Items      []Document `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Body is an upload's bytes as they arrive.
type Body struct {
	R           io.Reader
	Size        int64  // exact, from Content-Length
	ClaimedType string // the Content-Type the client sent
}

// DownloadRecord is one recorded download.
type DownloadRecord struct {
	ID      int    `json:"id"`
	Version int    `json:"version"`
	User    string `json:"user"`
	UserID  *int   `json:"user_id"`
	// UserName is the downloader's name, for people to read.
	UserName  string               `json:"user_name,omitempty"`
	Via       documentdownload.Via `json:"via"`
	IP        string               `json:"ip"`
	CreatedAt time.Time            `json:"created_at"`
}

// DownloadFilter pages a document's download record.
type DownloadFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// DownloadPage is one page of a document's download record, newest first.
type DownloadPage struct {
	Items      []DownloadRecord `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// Download is how to hand a file to the caller: a presigned URL, or a
// stream the portal serves itself.
type Download struct {
	URL         string
	ExpiresAt   time.Time
	Body        io.ReadCloser
	Size        int64
	Filename    string
	ContentType string
	SHA256      string
}

// Problem is one finding of Verify.
type Problem struct {
	DocumentID int    `json:"document_id"`
	Version    int    `json:"version"`
	Key        string `json:"key"`
	Reason     string `json:"reason"`
}
