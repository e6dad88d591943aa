package mail

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode is how a smtp:// connection is secured.
type TLSMode string

// The TLS modes of ?tls=; smtps:// is always implicit TLS.
const (
	TLSMandatory     TLSMode = "mandatory"     // STARTTLS or fail (the default)
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when offered
	TLSNone          TLSMode = "none"          // plain text: loopback only with credentials
	TLSImplicit      TLSMode = "implicit"      // smtps://
)

// SMTPServer is a parsed TIERLINK_SMTP_URL.
type SMTPServer struct {
	Host string
	Port int
	TLS  TLSMode
	// Auth is the mechanism: "plain" (the default with a user), "login"
	// or "cram-md5"; empty without a user.
	Auth           string
	User, Password string
}

// ConfigError is a refused mail setting; it names the variable and
// never repeats its value (a URL may carry a password).
type ConfigError struct{ Var, Reason string }

func (e *ConfigError) Error() string { return e.Var + ": " + e.Reason }

// ParseSMTPURL reads smtp://[user[:pass]@]host[:port][/][?tls=…&auth=…]
// or smtps://… . user and password (TIERLINK_SMTP_USER and
// TIERLINK_SMTP_PASSWORD) win over the URL's. Credentials are refused
// over plain text to a host that is not loopback.
func ParseSMTPURL(raw, user, password string) (SMTPServer, error) {
	bad := func(reason string) (SMTPServer, error) {
		return SMTPServer{}, &ConfigError{"TIERLINK_SMTP_URL", reason}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url's errors quote the input, password included.
		return bad("is not a URL")
	}
	var s SMTPServer
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.TLS, s.Port = TLSMandatory, 587
	case "smtps":
		s.TLS, s.Port = TLSImplicit, 465
	default:
		return bad("must start with smtp:// or smtps://")
	}
	if u.Opaque != "" {
		return bad("must be smtp://host or smtps://host")
	}
	if u.Path != "" && u.Path != "/" {
		return bad("must not have a path")
	}
	if u.Fragment != "" {
		return bad("must not have a #fragment")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return bad("has no host")
	}
	if strings.ContainsAny(s.Host, " /\\") {
		return bad("has a bad host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("has a bad port")
		}
		s.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("has a bad port")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("has a bad query")
	}
	for k, v := range q {
		if len(v) != 1 {
			return bad("repeats ?" + k)
		}
		switch k {
		case "tls":
			if s.TLS == TLSImplicit {
				return bad("smtps:// is always TLS; drop ?tls=")
			}
			switch m := TLSMode(strings.ToLower(v[0])); m {
			case TLSMandatory, TLSOpportunistic, TLSNone:
				s.TLS = m
			default:
				return bad("?tls= must be mandatory, opportunistic or none")
			}
		case "auth":
			switch a := strings.ToLower(v[0]); a {
			case "plain", "login", "cram-md5":
				s.Auth = a
			default:
				return bad("?auth= must be plain, login or cram-md5")
			}
		default:
			return bad("has an unknown parameter ?" + k)
		}
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if user != "" {
		s.User = user
	}
	if password != "" {
		s.Password = password
	}
	if s.User == "" && s.Password != "" {
		if password != "" {
			return SMTPServer{}, &ConfigError{"TIERLINK_SMTP_PASSWORD", "is set but there is no SMTP user"}
		}
		return bad("has a password but no user")
	}
	if s.User != "" {
		if s.Auth == "" {
			s.Auth = "plain"
		}
		if s.TLS == TLSNone && !loopback(s.Host) {
			return bad("sends credentials in plain text (?tls=none) to a host that is not loopback")
		}
	} else if s.Auth != "" {
		return bad("?auth= needs a user")
	}
	return s, nil
}

// loopback is the hosts go-mail lets PLAIN auth run on unencrypted.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback() && (a.String() == "127.0.0.1" || a.String() == "::1")
}

// addr is host:port, for logs and the admin page (never credentials).
func (s SMTPServer) addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }
