package wecomsim_test

import (
	"testing"

	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// externalcontact/get names each follow's corp tags, read through the
// SDK's own types.
func TestSimulatorGetNamesTags(t *testing.T) {
	sim := wecomsim.New("wwsim", "contact-secret")
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "u0", Follow: true})
	sim.AddTagGroup(wecomsim.TagGroup{GroupID: "etG", GroupName: "等级", Tag: []wecomsim.Tag{{ID: "et1", Name: "重点"}}})
	sim.AddContact(wecomsim.Contact{ExternalUserID: "wmT", Name: "客户", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "u0", CreateTime: 1700000000, TagIDs: []string{"et1", "etUNNAMED"}}}})
	w := sdkOn(t, sim, "contact-secret")
	got, err := w.GetExternalContact().GetExternalUserDetail("wmT")
	if err != nil {
		t.Fatal(err)
	}
	want := []externalcontact.Tag{{GroupName: "等级", TagName: "重点", Type: 1, TagID: "et1"}, {Type: 1, TagID: "etUNNAMED"}}
	if len(got.FollowUser) != 1 || len(got.FollowUser[0].Tags) != 2 || got.FollowUser[0].Tags[0] != want[0] || got.FollowUser[0].Tags[1] != want[1] {
		t.Fatalf("follow_user %+v", got.FollowUser)
	}
}
