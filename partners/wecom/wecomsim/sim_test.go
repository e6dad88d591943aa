package wecomsim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// sdkOn points the silenceper SDK at sim with the SDK's own URI hook, not
// Tierlink's transport, so this conformance test reads the simulator only
// through code written elsewhere.
func sdkOn(t *testing.T, sim *wecomsim.Server, secret string) *work.Work {
	t.Helper()
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://qyapi.weixin.qq.com", sim.URL(), 1)
	})
	t.Cleanup(func() { util.SetURIModifier(nil) })
	return work.NewWork(&config.Config{CorpID: sim.CorpID(), CorpSecret: secret, Cache: cache.NewMemory()})
}

func code(err error) int64 {
	var c *util.CommonError
	if errors.As(err, &c) {
		return c.ErrCode
	}
	return -1
}

func TestSimulatorWithSDK(t *testing.T) {
	sim := wecomsim.New("wwsim", "contact-secret")
	defer sim.Close()
	for i := range 3 {
		sim.AddMember(wecomsim.Member{UserID: fmt.Sprintf("u%d", i), Name: fmt.Sprintf("Member %d", i), Follow: i < 2})
	}
	for i := range 250 {
		sim.AddContact(wecomsim.Contact{ExternalUserID: fmt.Sprintf("wm%04d", i), Name: fmt.Sprintf("客户%d", i), Type: 1 + i%2,
			CorpName: "华星", CorpFullName: "华星精密有限公司", Position: "销售",
			Follows: []wecomsim.Follow{{UserID: fmt.Sprintf("u%d", i%2), CreateTime: int64(1700000000 + i), TagIDs: []string{"et1"}, Remark: "r"}}})
	}

	t.Run("GetToken", func(t *testing.T) {
		w := sdkOn(t, sim, "contact-secret")
		tok, err := w.GetContext().GetAccessToken()
		if err != nil || len(tok) == 0 {
			t.Fatalf("token %q, err %v", tok, err)
		}
		bad := sdkOn(t, sim, "wrong")
		if _, err := bad.GetContext().GetAccessToken(); err == nil || !strings.Contains(err.Error(), "errcode=40001") {
			t.Fatalf("wrong secret: err = %v, want errcode 40001", err)
		}
		otherCorp := work.NewWork(&config.Config{CorpID: "nope", CorpSecret: "contact-secret", Cache: cache.NewMemory()})
		if _, err := otherCorp.GetContext().GetAccessToken(); err == nil || !strings.Contains(err.Error(), "errcode=40013") {
			t.Fatalf("wrong corp: err = %v, want errcode 40013", err)
		}
	})

	t.Run("FollowUserList", func(t *testing.T) {
		users, err := sdkOn(t, sim, "contact-secret").GetExternalContact().GetFollowUserList()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(users, ",") != "u0,u1" {
			t.Fatalf("follow users = %v, want [u0 u1] (u2 has no customer-contact feature)", users)
		}
	})

	t.Run("BatchPaging", func(t *testing.T) {
		ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			items, next, err := ec.BatchGetExternalUserDetails(externalcontact.BatchGetExternalUserDetailsRequest{
				UserIDList: []string{"u0", "u1"}, Cursor: cursor, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(items) > 100 {
				t.Fatalf("page of %d", len(items))
			}
			for _, it := range items {
				if seen[it.ExternalContact.ExternalUserID] {
					t.Fatalf("%s twice", it.ExternalContact.ExternalUserID)
				}
				seen[it.ExternalContact.ExternalUserID] = true
				if it.FollowInfo.UserID == "" || it.ExternalContact.CorpFullName != "华星精密有限公司" || it.FollowInfo.CreateTime == 0 {
					t.Fatalf("entry %+v", it)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 250 || pages != 3 {
			t.Fatalf("%d contacts in %d pages, want 250 in 3", len(seen), pages)
		}
		// The documented default limit is 50.
		items, _, err := ec.BatchGetExternalUserDetails(externalcontact.BatchGetExternalUserDetailsRequest{UserIDList: []string{"u0"}})
		if err != nil || len(items) != 50 {
			t.Fatalf("default limit: %d items, %v", len(items), err)
		}
		_, _, err = ec.BatchGetExternalUserDetails(externalcontact.BatchGetExternalUserDetailsRequest{UserIDList: []string{"ghost"}})
		if code(err) != wecomsim.ErrUnknownUser {
			t.Fatalf("unknown userid: %v, want 60111", err)
		}
		_, _, err = ec.BatchGetExternalUserDetails(externalcontact.BatchGetExternalUserDetailsRequest{UserIDList: []string{"u0"}, Limit: 101})
		if code(err) != wecomsim.ErrInvalidParameter {
			t.Fatalf("limit 101: %v, want 40058", err)
		}
	})

	t.Run("CorpTagList", func(t *testing.T) {
		sim.AddTagGroup(wecomsim.TagGroup{GroupID: "g1", GroupName: "等级", Tag: []wecomsim.Tag{{ID: "t1", Name: "重点"}, {ID: "t2", Name: "普通"}}})
		ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
		groups, err := ec.GetCropTagList(externalcontact.GetCropTagRequest{})
		if err != nil || len(groups) != 1 || groups[0].GroupName != "等级" || len(groups[0].Tag) != 2 || groups[0].Tag[0].Name != "重点" {
			t.Fatalf("tags %+v, %v", groups, err)
		}
		groups, err = ec.GetCropTagList(externalcontact.GetCropTagRequest{TagID: []string{"t2"}})
		if err != nil || len(groups) != 1 || len(groups[0].Tag) != 1 || groups[0].Tag[0].ID != "t2" {
			t.Fatalf("tag filter %+v, %v", groups, err)
		}
	})

	t.Run("ExternalContactGet", func(t *testing.T) {
		ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
		d, err := ec.GetExternalUserDetail("wm0001")
		if err != nil || d.ExternalContact.Name != "客户1" || len(d.FollowUser) != 1 || d.FollowUser[0].UserID != "u1" {
			t.Fatalf("get: %+v, %v", d, err)
		}
		if _, err := ec.GetExternalUserDetail("nobody"); code(err) != wecomsim.ErrNotExternalContact {
			t.Fatalf("unknown contact: %v, want 84061", err)
		}
	})

	t.Run("TokenExpiryAndInvalidation", func(t *testing.T) {
		ec := sdkOn(t, sim, "contact-secret").GetExternalContact() // its own cache keeps the old token
		if _, err := ec.GetFollowUserList(); err != nil {
			t.Fatal(err)
		}
		sim.ExpireTokens()
		if _, err := ec.GetFollowUserList(); code(err) != wecomsim.ErrTokenExpired {
			t.Fatalf("expired: %v, want 42001", err)
		}
		ec2 := sdkOn(t, sim, "contact-secret").GetExternalContact()
		if _, err := ec2.GetFollowUserList(); err != nil {
			t.Fatalf("fresh token after expiry: %v", err)
		}
		sim.InvalidateTokens()
		if _, err := ec2.GetFollowUserList(); code(err) != wecomsim.ErrInvalidToken {
			t.Fatalf("invalidated: %v, want 40014", err)
		}
	})

	t.Run("FrequencyLimit", func(t *testing.T) {
		ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
		sim.FailNext("/cgi-bin/externalcontact/get_follow_user_list", wecomsim.ErrFrequencyLimit, 2)
		for i := range 2 {
			if _, err := ec.GetFollowUserList(); code(err) != wecomsim.ErrFrequencyLimit {
				t.Fatalf("call %d: %v, want 45009", i, err)
			}
		}
		if _, err := ec.GetFollowUserList(); err != nil {
			t.Fatalf("after the limit: %v", err)
		}
	})
}
