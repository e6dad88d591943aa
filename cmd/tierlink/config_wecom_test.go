package main

import (
	"flag"
	"fmt"
	"strings"
	"testing"
)

func TestConfigWeCom(t *testing.T) {
	dir := t.TempDir()
	load := func(env map[string]string) (Config, error) {
		env["TIERLINK_DATA_DIR"] = dir
		getenv := func(k string) string { return env[k] }
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		return loadConfig(addConfigFlags(fs, getenv, false), getenv)
	}
	aes := strings.Repeat("a", 43)
	t.Run("Off", func(t *testing.T) {
		c, err := load(map[string]string{})
		if err != nil || c.WeCom.Configured() || c.WeCom.APIBase != "https://qyapi.weixin.qq.com" {
			t.Fatalf("config %v, %v", c.WeCom, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c, err := load(map[string]string{"TIERLINK_WECOM_CORP_ID": "ww1", "TIERLINK_WECOM_AGENT_ID": "1000002",
			"TIERLINK_WECOM_AGENT_SECRET": "s3cret-agent", "TIERLINK_WECOM_CONTACT_SECRET": "s3cret-contact",
			"TIERLINK_WECOM_CALLBACK_TOKEN": "s3cret-token", "TIERLINK_WECOM_CALLBACK_AES_KEY": aes,
			"TIERLINK_WECOM_API_BASE": "http://127.0.0.1:9999"})
		if err != nil || !c.WeCom.Configured() || c.WeCom.ContactSecret != "s3cret-contact" || c.WeCom.APIBase != "http://127.0.0.1:9999" {
			t.Fatalf("config %+v, %v", c.WeCom, err)
		}
		// Printed or logged, the configuration shows no secret.
		if s := fmt.Sprintf("%v %s %+v", c.WeCom, c.WeCom, c.WeCom.LogValue()); strings.Contains(s, "s3cret") || strings.Contains(s, aes) {
			t.Fatalf("secret shown: %s", s)
		}
	})
	for name, env := range map[string]map[string]string{
		"ErrPlainHTTPOffLoopback": {"TIERLINK_WECOM_API_BASE": "http://wecom.example.com"},
		"ErrNotAURL":              {"TIERLINK_WECOM_API_BASE": "qyapi.weixin.qq.com"},
		"ErrSecretWithoutCorp":    {"TIERLINK_WECOM_CONTACT_SECRET": "s3cret"},
		"ErrAgentIDNotNumeric":    {"TIERLINK_WECOM_CORP_ID": "ww1", "TIERLINK_WECOM_AGENT_ID": "app"},
		"ErrAESKeyLength":         {"TIERLINK_WECOM_CORP_ID": "ww1", "TIERLINK_WECOM_CALLBACK_AES_KEY": "s3cret-short"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load(env)
			var ce configError
			if err == nil || !asConfigError(err, &ce) || !strings.HasPrefix(ce.name, "TIERLINK_WECOM_") {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}
