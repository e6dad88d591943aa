package main

import (
	"flag"
	"testing"
)

// TIERLINK_WECOM_AUTHORIZE_BASE: WeCom's OAuth2 page by default, a
// simulator on loopback in tests, never plain http elsewhere.
func TestConfigWeComAuthorizeBase(t *testing.T) {
	dir := t.TempDir()
	load := func(env map[string]string) (Config, error) {
		env["TIERLINK_DATA_DIR"] = dir
		getenv := func(k string) string { return env[k] }
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		return loadConfig(addConfigFlags(fs, getenv, false), getenv)
	}
	c, err := load(map[string]string{"TIERLINK_WECOM_CORP_ID": "ww1", "TIERLINK_WECOM_AGENT_ID": "1000002", "TIERLINK_WECOM_AGENT_SECRET": "s"})
	if err != nil || c.WeCom.AuthorizeBase != "https://open.weixin.qq.com" || !c.WeCom.SignInConfigured() {
		t.Fatalf("default: %+v, %v", c.WeCom, err)
	}
	c, err = load(map[string]string{"TIERLINK_WECOM_AUTHORIZE_BASE": "http://127.0.0.1:9999"})
	if err != nil || c.WeCom.AuthorizeBase != "http://127.0.0.1:9999" || c.WeCom.SignInConfigured() {
		t.Fatalf("loopback: %+v, %v", c.WeCom, err)
	}
	for name, v := range map[string]string{"ErrPlainHTTPOffLoopback": "http://open.example.com", "ErrNotAURL": "open.weixin.qq.com",
		"ErrQuery": "https://open.weixin.qq.com/?x=1"} {
		t.Run(name, func(t *testing.T) {
			_, err := load(map[string]string{"TIERLINK_WECOM_AUTHORIZE_BASE": v})
			var ce configError
			if err == nil || !asConfigError(err, &ce) || ce.name != "TIERLINK_WECOM_AUTHORIZE_BASE" {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
