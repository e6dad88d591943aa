package portal

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecomcontact"
)

// unmatchedWeComContact stores a WeCom contact the sync could not match,
// followed by buyer 1 (linked to WeCom as "bo.buyer").
func unmatchedWeComContact(e *env, _ map[string]string) {
	c := e.f.DB.Client
	sys := e.f.System()
	if err := c.User.UpdateOneID(e.f.Buyer.ID).SetWecomUserid("bo.buyer").Exec(sys); err != nil {
		e.t.Fatal(err)
	}
	wc, err := c.WecomContact.Create().SetExternalUserid("wmMATRIX").SetKind(wecomcontact.KindWechat).SetName("王芳").Save(sys)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.WecomFollow.Create().SetWecomContactID(wc.ID).SetUserid("bo.buyer").SetAddedAt(time.Now()).Exec(sys); err != nil {
		e.t.Fatal(err)
	}
}

func TestWeComUnmatchedInboxAPI(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	unmatchedWeComContact(e, nil)
	resp, body := e.call(wViewer, "GET", "/api/v1/wecom/unmatched", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"external_userid":"wmMATRIX"`) || !strings.Contains(string(body), `"followers":["bo.buyer"]`) {
		t.Fatalf("inbox: %d %s", resp.StatusCode, body)
	}
	t.Run("ErrNoSuchPartner", func(t *testing.T) {
		resp, body := e.call(wBuyer, "POST", "/api/v1/wecom/unmatched/wmMATRIX/assign", `{"partner_id":999999}`)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "partner_id") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if wc := e.f.DB.Client.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmMATRIX")).OnlyX(e.f.System()); wc.PartnerID != nil {
			t.Fatal("a refused assignment was stored")
		}
	})
	t.Run("UnknownContactIs404", func(t *testing.T) {
		for _, id := range []string{"nobody", "bad%20id"} {
			resp, _ := e.call(wBuyer, "POST", "/api/v1/wecom/unmatched/"+id+"/assign", fmt.Sprintf(`{"partner_id":%d}`, e.f.PartnerA.ID))
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d", id, resp.StatusCode)
			}
		}
	})
	t.Run("OK", func(t *testing.T) {
		resp, body := e.call(wBuyer, "POST", "/api/v1/wecom/unmatched/wmMATRIX/assign", fmt.Sprintf(`{"partner_id":%d}`, e.f.PartnerA.ID))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		wc := e.f.DB.Client.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmMATRIX")).OnlyX(e.f.System())
		if wc.PartnerID == nil || *wc.PartnerID != e.f.PartnerA.ID || wc.ContactID == nil {
			t.Fatalf("stored %+v", wc)
		}
		ct := e.f.DB.Client.Contact.GetX(e.f.System(), *wc.ContactID)
		if ct.OwnerID != e.f.Buyer.ID || ct.Name != "王芳" || ct.PartnerID != e.f.PartnerA.ID {
			t.Fatalf("directory contact %+v", ct)
		}
		_, body = e.call(wViewer, "GET", "/api/v1/wecom/unmatched", "")
		if strings.Contains(string(body), "wmMATRIX") {
			t.Fatal("an assigned contact is still in the inbox")
		}
	})
	t.Run("StaffLink", func(t *testing.T) {
		resp, body := e.call(wAdmin, "PUT", fmt.Sprintf("/api/v1/wecom/staff/%d", e.f.Buyer2.ID), `{"wecom_userid":"bo.buyer"}`)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("a userid linked twice: %d %s", resp.StatusCode, body)
		}
		resp, body = e.call(wAdmin, "PUT", fmt.Sprintf("/api/v1/wecom/staff/%d", e.f.Buyer2.ID), `{"wecom_userid":"cai.buyer"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		u := e.f.DB.Client.User.Query().Where(user.ID(e.f.Buyer2.ID)).OnlyX(e.f.System())
		if u.WecomUserid == nil || *u.WecomUserid != "cai.buyer" {
			t.Fatalf("stored %v", u.WecomUserid)
		}
	})
}
