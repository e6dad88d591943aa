package portal

import (
	"github.com/gofiber/fiber/v2"
	"github.com/tierlink/tierlink/ent/document"

	"github.com/tierlink/tierlink/partners/documents"
)

func (s *Server) documentPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/documents/:id", Access: authed, Handler: s.documentPage},
		{Method: "POST", Path: "/documents/:id/delete", Access: editor, Handler: s.documentDelete, Back: s.refererBack},
	}
}

// uploadForm is what the upload form template needs.
type uploadForm struct {
	ShipmentID int
	L          *locale
	CSRF       string
	Action     string
	PartnerID  int
	DocumentID int
	Kinds      []document.Kind
}

func (s *Server) uploadForm(c *fiber.Ctx, partnerID, documentID int) (uploadForm, bool) {
	v := currentViewer(c)
	sess := currentSession(c)
	ownPartner := v.IsPartner() && v.PartnerID == partnerID
	if sess == nil || (!v.CanEdit() && !ownPartner) {
		return uploadForm{}, false
	}
	f := uploadForm{L: pickLocale(c, sess.Locale), CSRF: sess.CSRF, Action: "/api/v1/documents", PartnerID: partnerID, DocumentID: documentID, Kinds: documents.Kinds}
	if documentID != 0 {
		f.Action = "/api/v1/documents/" + itoa(documentID) + "/versions"
	}
	return f, true
}

type documentData struct {
	D           documents.Document
	PartnerName string
	Downloads   []documents.DownloadRecord
	Upload      uploadForm
	CanUpload   bool
}

func (s *Server) documentPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d, err := s.deps.Documents.Document(ctx, id)
	if err != nil {
		return err
	}
	p, err := s.deps.Directory.Partner(ctx, d.PartnerID)
	if err != nil {
		return err
	}
	data := documentData{D: d, PartnerName: p.Name}
	if currentViewer(c).IsStaff() {
		if data.Downloads, err = s.deps.Documents.Downloads(ctx, id); err != nil {
			return err
		}
	}
	data.Upload, data.CanUpload = s.uploadForm(c, d.PartnerID, id)
	return s.render(c, "document", d.Title, data)
}

func (s *Server) documentDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Documents.Document(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.deps.Documents.Delete(c.UserContext(), id); err != nil {
		return err
	}
	return c.Redirect("/partners/"+itoa(d.PartnerID)+"?msg=deleted", fiber.StatusSeeOther)
}
