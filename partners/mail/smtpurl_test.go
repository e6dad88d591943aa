package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	cases := []struct {
		url, user, pass string
		want            SMTPServer
		errVar, errHas  string
	}{
		{url: "smtp://mail.example.com", want: SMTPServer{Host: "mail.example.com", Port: 587, TLS: TLSMandatory}},
		{url: "smtps://mail.example.com", want: SMTPServer{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{url: "SMTP://u:p@mail.example.com:2525/?tls=opportunistic", want: SMTPServer{Host: "mail.example.com", Port: 2525, TLS: TLSOpportunistic, Auth: "plain", User: "u", Password: "p"}},
		{url: "smtp://t:t@127.0.0.1:1025/?tls=none", want: SMTPServer{Host: "127.0.0.1", Port: 1025, TLS: TLSNone, Auth: "plain", User: "t", Password: "t"}},
		{url: "smtp://t:t@[::1]:1025?tls=none", want: SMTPServer{Host: "::1", Port: 1025, TLS: TLSNone, Auth: "plain", User: "t", Password: "t"}},
		{url: "smtp://localhost:25?tls=none", want: SMTPServer{Host: "localhost", Port: 25, TLS: TLSNone}},
		{url: "smtp://relay.internal?tls=none", want: SMTPServer{Host: "relay.internal", Port: 587, TLS: TLSNone}},
		{url: "smtps://a%40b.com:p%2Fw@smtp.qq.com?auth=login", want: SMTPServer{Host: "smtp.qq.com", Port: 465, TLS: TLSImplicit, Auth: "login", User: "a@b.com", Password: "p/w"}},
		// The variables win over the URL's user info.
		{url: "smtp://u:p@mail.example.com", user: "env", pass: "secret", want: SMTPServer{Host: "mail.example.com", Port: 587, TLS: TLSMandatory, Auth: "plain", User: "env", Password: "secret"}},
		{url: "smtp://mail.example.com", user: "env", pass: "secret", want: SMTPServer{Host: "mail.example.com", Port: 587, TLS: TLSMandatory, Auth: "plain", User: "env", Password: "secret"}},

		{url: "http://mail.example.com", errVar: "TIERLINK_SMTP_URL", errHas: "smtp://"},
		{url: "mail.example.com:25", errVar: "TIERLINK_SMTP_URL"},
		{url: "smtp://", errVar: "TIERLINK_SMTP_URL", errHas: "no host"},
		{url: "smtp://h:0", errVar: "TIERLINK_SMTP_URL", errHas: "port"},
		{url: "smtp://h:70000", errVar: "TIERLINK_SMTP_URL", errHas: "port"},
		{url: "smtp://h:", errVar: "TIERLINK_SMTP_URL", errHas: "port"},
		{url: "smtp://h/x", errVar: "TIERLINK_SMTP_URL", errHas: "path"},
		{url: "smtp://h?tls=maybe", errVar: "TIERLINK_SMTP_URL", errHas: "?tls="},
		{url: "smtp://h?tls=none&tls=none", errVar: "TIERLINK_SMTP_URL", errHas: "repeats"},
		{url: "smtps://h?tls=none", errVar: "TIERLINK_SMTP_URL", errHas: "always TLS"},
		{url: "smtp://h?port=1", errVar: "TIERLINK_SMTP_URL", errHas: "unknown parameter"},
		{url: "smtp://h?auth=xoauth2", errVar: "TIERLINK_SMTP_URL", errHas: "?auth="},
		{url: "smtp://h?auth=plain", errVar: "TIERLINK_SMTP_URL", errHas: "needs a user"},
		{url: "smtp://:hunter2@h", errVar: "TIERLINK_SMTP_URL", errHas: "no user"},
		{url: "smtp://h", pass: "hunter2", errVar: "TIERLINK_SMTP_PASSWORD", errHas: "no SMTP user"},
		// Credentials in plain text leave loopback: refused, whether they
		// come from the URL or the variables.
		{url: "smtp://u:hunter2@mail.example.com?tls=none", errVar: "TIERLINK_SMTP_URL", errHas: "plain text"},
		{url: "smtp://mail.example.com?tls=none", user: "u", pass: "hunter2", errVar: "TIERLINK_SMTP_URL", errHas: "plain text"},
		{url: "smtp://u:hunter2@127.0.0.2?tls=none", errVar: "TIERLINK_SMTP_URL", errHas: "plain text"},
		{url: "smtp://u:hunter2@10.0.0.1:25?tls=none", errVar: "TIERLINK_SMTP_URL", errHas: "plain text"},
	}
	for _, c := range cases {
		got, err := ParseSMTPURL(c.url, c.user, c.pass)
		if c.errVar == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != c.errVar || !strings.Contains(ce.Reason, c.errHas) {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %s error with %q", c.url, got, err, c.errVar, c.errHas)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseSMTPURL(%q) error shows the password: %v", c.url, err)
		}
	}
}

func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{"smtp://h", "smtps://u:p@h:465", "smtp://t:t@127.0.0.1:1025/?tls=none", "smtp://[::1]?auth=login",
		"smtp://u:pw@h?tls=none", "smtp://%zz@h", "smtp://h:99999", "smtp://h/?tls=opportunistic&auth=cram-md5"} {
		f.Add(s, "", "")
	}
	f.Add("smtp://h", "user", "pass")
	f.Fuzz(func(t *testing.T, raw, user, pass string) {
		s, err := ParseSMTPURL(raw, user, pass)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Var, "TIERLINK_SMTP_") {
				t.Fatalf("error %v is not a ConfigError naming a variable", err)
			}
			if len(pass) >= 6 && strings.Contains(err.Error(), pass) {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		if s.Host == "" || s.Port < 1 || s.Port > 65535 {
			t.Fatalf("accepted %q as %+v", raw, s)
		}
		switch s.TLS {
		case TLSMandatory, TLSOpportunistic, TLSNone, TLSImplicit:
		default:
			t.Fatalf("TLS mode %q", s.TLS)
		}
		if s.User != "" && s.TLS == TLSNone && !loopback(s.Host) {
			t.Fatalf("credentials in plain text to %q", s.Host)
		}
		if (s.User == "") != (s.Auth == "") || (s.User == "" && s.Password != "") {
			t.Fatalf("user %q, auth %q, password set %v", s.User, s.Auth, s.Password != "")
		}
	})
}
