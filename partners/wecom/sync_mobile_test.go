package wecom_test

import (
	"testing"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

func TestNormalizeMobile(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000":         "13800138000",
		"+86 138-0013-8000":   "13800138000",
		"+86-13800138000":     "13800138000",
		"0086 13800138000":    "13800138000",
		"86 138 0013 8000":    "13800138000",
		" (138) 0013.8000 ":   "13800138000",
		"+1 415-555-0100":     "+14155550100",
		"":                    "",
		"n/a":                 "",
		"138x0013":            "",
		"12":                  "",
		"+86":                 "",
		"1380013800+0":        "",
		"\u00a0138 0013 8000": "13800138000",
	} {
		if got := wecom.NormalizeMobile(in); got != want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

// Staff are linked to WeCom members by e-mail, then by mobile (both
// sides normalised); a mobile WeCom withholds (no sensitive-information
// permission) links nobody, a number two users share links neither, and
// a link set by hand is never overridden.
func TestSyncLinksStaffByMobile(t *testing.T) {
	e := newEnv(t, 0, 0, true)
	sys := e.f.System()
	db := e.f.DB.Client
	buyer := func(email, mobile string) int {
		t.Helper()
		u, err := e.f.Acc.CreateUser(sys, accounts.UserInput{Email: email, Name: email, Role: "buyer", Password: partnerstest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.User.UpdateOneID(u.ID).SetMobile(mobile).Exec(sys); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	byMail := buyer("mail@co.test", "13900000001")
	byMobile := buyer("private@home.test", "+86 138-0013-8000")
	withheld := buyer("withheld@home.test", "13700000000")
	shared1, shared2 := buyer("s1@co.test", "136 0000 0000"), buyer("s2@co.test", "13600000000")
	byHand := buyer("hand@co.test", "13500000000")
	// The e-mail wins over a mobile that names someone else.
	e.sim.AddMember(wecomsim.Member{UserID: "m_mail", Email: "MAIL@co.test", Mobile: "13500000000", Follow: true})
	e.sim.AddMember(wecomsim.Member{UserID: "m_mobile", Email: "other@co.test", Mobile: "13800138000", Follow: true})
	e.sim.AddMember(wecomsim.Member{UserID: "m_withheld", Follow: true})
	e.sim.AddMember(wecomsim.Member{UserID: "m_shared", Mobile: "13600000000", Follow: true})
	e.sim.AddMember(wecomsim.Member{UserID: "m_hand", Mobile: "13500000000", Follow: true})
	if err := e.svc.LinkStaff(e.f.Ctx(e.f.Admin), byHand, "set_by_hand"); err != nil {
		t.Fatal(err)
	}
	res := e.sync(t)
	want := map[int]string{byMail: "m_mail", byMobile: "m_mobile", withheld: "", shared1: "", shared2: "", byHand: "set_by_hand"}
	for id, uid := range want {
		u := db.User.GetX(sys, id)
		got := ""
		if u.WecomUserid != nil {
			got = *u.WecomUserid
		}
		if got != uid {
			t.Errorf("user %s linked to %q, want %q", u.Email, got, uid)
		}
	}
	if res.StaffLinked != 2 {
		t.Errorf("StaffLinked = %d, want 2", res.StaffLinked)
	}
	// A second sync changes no link.
	if res := e.sync(t); res.StaffLinked != 0 {
		t.Errorf("second sync linked %d", res.StaffLinked)
	}
	if u := db.User.GetX(sys, byHand); *u.WecomUserid != "set_by_hand" {
		t.Errorf("hand link overridden: %s", *u.WecomUserid)
	}
}
