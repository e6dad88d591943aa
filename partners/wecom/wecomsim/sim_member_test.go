package wecomsim_test

import (
	"testing"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// user/get, read through the SDK, gives a member's e-mail and mobile; a
// member whose mobile WeCom withholds (no sensitive-information
// permission) comes back with none, which the staff match must bear.
func TestSimulatorUserGetMobile(t *testing.T) {
	sim := wecomsim.New("wwsim", "agent-secret")
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "zhangsan", Name: "张三", Email: "zs@co.test", Mobile: "13800138000"})
	sim.AddMember(wecomsim.Member{UserID: "lisi", Name: "李四"})
	al := sdkOn(t, sim, "agent-secret").GetAddressList()
	got, err := al.UserGet("zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "zhangsan" || got.Mobile != "13800138000" || got.Email != "zs@co.test" {
		t.Fatalf("user/get %+v", got)
	}
	got, err = al.UserGet("lisi")
	if err != nil || got.Mobile != "" {
		t.Fatalf("a withheld mobile: %+v %v", got, err)
	}
	if _, err := al.UserGet("nobody"); err == nil {
		t.Fatal("an unknown userid was answered")
	}
}
