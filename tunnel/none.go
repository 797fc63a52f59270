package tunnel

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// None is the provider of no tunnel: a loopback listener whose URL is its own http address.
// The gateway stays on this machine; a browser here can still log in against an IdP here.
type None struct{}

func (None) Name() string { return "none" }

func (None) Open(ctx context.Context, cfg Config) (Tunnel, error) {
	addr := cmp.Or(cfg.Listen, "127.0.0.1:0")
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newListener(ln, loopbackURL(addr, ln.Addr()), nil), nil
}

// loopbackURL keeps the host name asked for when it is localhost: browsers keep cookies per
// host name.
func loopbackURL(requested string, a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if host, _, _ := net.SplitHostPort(requested); strings.EqualFold(host, "localhost") {
		return "http://localhost:" + strconv.Itoa(int(ap.Port()))
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String()
}
