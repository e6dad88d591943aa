package bridges

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Guard keeps outbound bridge requests away from the company's own
// network (SSRF): private, loopback, link-local, shared and unspecified
// addresses are refused unless a configured network allows them. It is
// checked when a bridge is saved and again on every connection, after
// name resolution, so a name that later resolves inward is caught too.
type Guard struct {
	// Allow lists networks that may be reached although internal.
	Allow []netip.Prefix
}

var sharedNet = netip.MustParsePrefix("100.64.0.0/10")

// Permitted reports whether ip may be connected to.
func (g Guard) Permitted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	internal := ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || sharedNet.Contains(ip) || !ip.IsValid()
	return !internal
}

// URL refusals, the Why of a URLError: each has its catalogue reason
// in partners/groups (urlRefused).
const (
	URLNotAbsolute = "not_absolute" // not an absolute URL with a host
	URLNotHTTP     = "not_http"     // another scheme than http or https
	URLUserinfo    = "userinfo"     // carries a user name or password
	URLUnresolved  = "unresolved"   // the host name does not resolve
	URLInternal    = "internal"     // the host is an internal address
)

// URLError says why a URL may not be a bridge URL: Why is one of the
// URL refusals, Host the host named, IP the internal address it is or
// resolves to. Error is the English text, for logs.
type URLError struct {
	Why  string
	Host string
	IP   netip.Addr
	Err  error // the resolver's error, for unresolved
}

func (e *URLError) Error() string {
	switch e.Why {
	case URLNotAbsolute:
		return "must be an absolute http or https URL"
	case URLNotHTTP:
		return "must be an http or https URL"
	case URLUserinfo:
		return "must not carry a user name or password"
	case URLUnresolved:
		if e.Err != nil {
			return fmt.Sprintf("host %s does not resolve: %v", e.Host, e.Err)
		}
		return fmt.Sprintf("host %s does not resolve", e.Host)
	}
	return fmt.Sprintf("host %s is an internal address (%s); an administrator may allow its network in TIERLINK_BRIDGE_ALLOW_NETS", e.Host, e.IP)
}

func (e *URLError) Unwrap() error { return e.Err }

// CheckURL says why raw may not be a bridge URL (a *URLError), or nil.
// Names are resolved; a name that does not resolve is refused.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return &URLError{Why: URLNotAbsolute}
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return &URLError{Why: URLNotHTTP}
	}
	if u.User != nil {
		return &URLError{Why: URLUserinfo}
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil || len(addrs) == 0 {
			return &URLError{Why: URLUnresolved, Host: host, Err: err}
		}
	}
	for _, ip := range addrs {
		if !g.Permitted(ip) {
			return &URLError{Why: URLInternal, Host: host, IP: ip}
		}
	}
	return nil
}

// Client is an HTTP client that dials only permitted addresses, follows
// no redirects and uses no proxy.
func (g Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("bridge: unexpected address %q", address)
		}
		if !g.Permitted(ap.Addr()) {
			return fmt.Errorf("bridge: %s is an internal address and is not allowed", ap.Addr())
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         d.DialContext,
			TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
