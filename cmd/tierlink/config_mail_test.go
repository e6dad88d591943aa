package main

import (
	"errors"
	"strings"
	"testing"
)

// TestLoadMail: mail settings are checked at start, and a refusal names
// the variable and never shows the password.
func TestLoadMail(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	ok := []func(string) string{
		env(),
		env("TIERLINK_MAIL_FROM", "Tierlink <noreply@co.test>"),
		env("TIERLINK_SMTP_URL", "smtp://t:t@127.0.0.1:1025/?tls=none", "TIERLINK_MAIL_FROM", "noreply@co.test"),
		env("TIERLINK_SMTP_URL", "smtps://smtp.exmail.qq.com", "TIERLINK_SMTP_USER", "noreply@co.test",
			"TIERLINK_SMTP_PASSWORD", "s3cret-pw", "TIERLINK_MAIL_FROM", "采购部 <noreply@co.test>"),
	}
	for i, g := range ok {
		if _, err := loadMail(g); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
	bad := []struct {
		getenv func(string) string
		name   string
	}{
		{env("TIERLINK_SMTP_URL", "smtp://mail.co.test"), "TIERLINK_MAIL_FROM"},
		{env("TIERLINK_SMTP_URL", "smtp://mail.co.test", "TIERLINK_MAIL_FROM", "not an address"), "TIERLINK_MAIL_FROM"},
		{env("TIERLINK_SMTP_URL", "http://mail.co.test", "TIERLINK_MAIL_FROM", "a@co.test"), "TIERLINK_SMTP_URL"},
		{env("TIERLINK_SMTP_URL", "smtp://u:s3cret-pw@mail.co.test?tls=none", "TIERLINK_MAIL_FROM", "a@co.test"), "TIERLINK_SMTP_URL"},
		{env("TIERLINK_SMTP_URL", "smtp://mail.co.test?tls=none", "TIERLINK_SMTP_USER", "u", "TIERLINK_SMTP_PASSWORD", "s3cret-pw", "TIERLINK_MAIL_FROM", "a@co.test"), "TIERLINK_SMTP_URL"},
		{env("TIERLINK_SMTP_URL", "smtp://mail.co.test", "TIERLINK_SMTP_PASSWORD", "s3cret-pw", "TIERLINK_MAIL_FROM", "a@co.test"), "TIERLINK_SMTP_PASSWORD"},
		{env("TIERLINK_SMTP_PASSWORD", "s3cret-pw"), "TIERLINK_SMTP_URL"},
	}
	for i, c := range bad {
		_, err := loadMail(c.getenv)
		var ce configError
		if !errors.As(err, &ce) || ce.name != c.name {
			t.Errorf("case %d: %v, want a %s error", i, err, c.name)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("case %d shows the password: %v", i, err)
		}
	}
}
