package documents

import (
	"bytes"
	"fmt"
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/tierlink/tierlink/partners"
)

// sniffLen is how much of an upload is read to tell its type; office
// formats need a look inside the ZIP directory.
const sniffLen = 64 << 10

func init() {
	mimetype.SetLimit(sniffLen)
	// CAD exchange formats mimetype does not know.
	mimetype.Lookup("text/plain").Extend(func(b []byte, _ uint32) bool {
		return bytes.HasPrefix(b, []byte("ISO-10303-21;"))
	}, "model/step", ".step", "application/step")
	mimetype.Lookup("text/plain").Extend(func(b []byte, _ uint32) bool {
		return len(b) >= 73 && b[72] == 'S' && bytes.Contains(b[:80], []byte("1H,"))
	}, "model/iges", ".igs", "application/iges")
}

// allowed are the types Tierlink accepts, with a name for messages.
var allowed = map[string]string{
	"application/pdf": "PDF",
	"image/png":       "PNG image", "image/jpeg": "JPEG image", "image/gif": "GIF image", "image/webp": "WebP image",
	"image/tiff": "TIFF image", "image/heic": "HEIC photo", "image/heif": "HEIF photo", "image/bmp": "BMP image",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "Word document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "Excel workbook",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
	"application/msword": "Word 97 document", "application/vnd.ms-excel": "Excel 97 workbook",
	"application/vnd.ms-powerpoint":           "PowerPoint 97 presentation",
	"application/vnd.oasis.opendocument.text": "OpenDocument text", "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
	"application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
	"text/csv":        "CSV file",
	"application/zip": "ZIP archive",
	"image/vnd.dwg":   "DWG drawing", "image/vnd.dxf": "DXF drawing", "model/step": "STEP model", "model/iges": "IGES model",
}

// AllowedSummary says in words what may be uploaded.
const AllowedSummary = "PDF, images (PNG, JPEG, GIF, WebP, TIFF, HEIC), Word/Excel/PowerPoint or OpenDocument files, CSV, ZIP, and CAD files (DWG, DXF, STEP, IGES)"

// decideType checks the first bytes of an upload against the allowlist
// and against the type the client claimed, and returns the type to store.
func decideType(head []byte, claimed, filename string) (string, error) {
	sniffed := mimetype.Detect(head)
	claimedBase, _, _ := mime.ParseMediaType(claimed)
	claimedBase = strings.ToLower(claimedBase)
	// A CSV with one column looks like plain text; trust the name then.
	if sniffed.Is("text/plain") && (claimedBase == "text/csv" || strings.HasSuffix(strings.ToLower(filename), ".csv")) {
		sniffed = mimetype.Lookup("text/csv")
	}
	found := ""
	for m := sniffed; m != nil; m = m.Parent() {
		if _, ok := allowed[m.String()]; ok {
			found = m.String()
			break
		}
	}
	if found == "" {
		return "", &partners.Error{Code: partners.EUnsupported, Message: fmt.Sprintf(
			"files of type %s are not accepted; upload %s", sniffed.String(), AllowedSummary)}
	}
	if claimedBase == "" || claimedBase == "application/octet-stream" || sniffed.Is(claimedBase) {
		return found, nil
	}
	// The claim may be more specific than what the bytes prove (a Word
	// file the sniffer sees only as ZIP), or more general (a Word file
	// sent as application/zip); either is consistent.
	if c := mimetype.Lookup(claimedBase); c != nil {
		for m := c.Parent(); m != nil; m = m.Parent() {
			if m.Is(found) || m.Is(sniffed.String()) {
				if _, ok := allowed[claimedBase]; ok {
					return claimedBase, nil
				}
			}
		}
		for m := sniffed.Parent(); m != nil; m = m.Parent() {
			if m.Is(claimedBase) {
				return found, nil
			}
		}
	}
	return "", &partners.Error{Code: partners.EUnsupported, Message: fmt.Sprintf(
		"the file is a %s (%s), but was sent as %s; check that you chose the right file", describe(found, sniffed.String()), sniffed.String(), claimedBase)}
}

func describe(found, sniffed string) string {
	if n, ok := allowed[found]; ok {
		return n
	}
	return sniffed
}
