package bridges

import (
	"context"
	"errors"
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

// CheckURL says why raw may not be a bridge URL, or nil. Names are
// resolved with r; a name that does not resolve is refused.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return errors.New("must be an http or https URL")
	}
	if u.User != nil {
		return errors.New("must not carry a user name or password")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil || len(addrs) == 0 {
			return fmt.Errorf("host %s does not resolve", host)
		}
	}
	for _, ip := range addrs {
		if !g.Permitted(ip) {
			return fmt.Errorf("host %s is an internal address (%s); an administrator may allow its network in TIERLINK_BRIDGE_ALLOW_NETS", host, ip)
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
