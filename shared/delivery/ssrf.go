package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrForbiddenDestination marks a destination refused by the SSRF policy. It is
// permanent: retrying the same URL is refused again, so callers should not retry.
var ErrForbiddenDestination = errors.New("forbidden destination")

// Policy decides which addresses deliveries may reach. The zero Policy allows
// only public unicast addresses: a hook URL must not let a tenant probe the
// service's own network, the Lambda runtime API or the instance metadata
// endpoint (docs/architecture.md §5).
type Policy struct {
	// AllowPrivate lists prefixes allowed despite being non-public, for local
	// development and tests (the CLI's --allow-private and ALLOW_PRIVATE_CIDRS).
	AllowPrivate []netip.Prefix
}

// blocked are the non-public ranges, each with the reason shown in errors.
// Order matters only for the message: the first match names the range.
var blocked = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (\"this network\")"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared carrier-grade NAT space"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata and the Lambda runtime live here)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Translation prefixes embed an IPv4 address that a gateway reaches on our
// behalf; the embedded address must pass too.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// Allowed returns nil when ip may be connected to, and otherwise an error
// wrapping ErrForbiddenDestination that names the address and why it is refused.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as their IPv4 address.
func (p Policy) Allowed(ip netip.Addr) error {
	if reason := p.refusal(ip); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenDestination, ip, reason)
	}
	return nil
}

// refusal returns why ip is refused, or "" when it is allowed.
func (p Policy) refusal(ip netip.Addr) string {
	if !ip.IsValid() {
		return "not a valid address"
	}
	ip = ip.WithZone("")
	for _, pfx := range p.AllowPrivate {
		if pfx.Contains(ip) || pfx.Contains(ip.Unmap()) {
			return ""
		}
	}
	return nonPublic(ip.Unmap())
}

func nonPublic(ip netip.Addr) string {
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			article := "a "
			if strings.ContainsRune("aeiouAEIOU", rune(b.reason[0])) {
				article = "an "
			}
			return article + b.reason + " address (" + b.prefix.String() + ")"
		}
	}
	var embedded netip.Addr
	switch a := ip.As16(); {
	case nat64.Contains(ip):
		embedded = netip.AddrFrom4([4]byte(a[12:16]))
	case sixTo4.Contains(ip):
		embedded = netip.AddrFrom4([4]byte(a[2:6]))
	default:
		return ""
	}
	if r := nonPublic(embedded); r != "" {
		return "a translation of " + embedded.String() + ", " + r
	}
	return ""
}

// ParseCIDRs parses a comma-separated allow-list such as "10.0.0.0/8,127.0.0.1";
// a bare address stands for itself (/32 or /128). Empty input gives nil.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("allow-list entry %d %q is neither an IP address nor a CIDR prefix like 10.0.0.0/8", i+1, part)
			}
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("allow-list entry %d %q is not a CIDR prefix like 10.0.0.0/8", i+1, part)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// CheckURL resolves rawURL's host with r (nil: net.DefaultResolver) and refuses
// it when any address is not allowed: a host with one private address could be
// dialled on it. Hooks are checked when saved; Sender checks again at dial time,
// since DNS answers can change (rebinding).
func (p Policy) CheckURL(ctx context.Context, rawURL string, r *net.Resolver) error {
	u, err := parseDestination(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.Allowed(ip)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve host %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("resolve host %s: no addresses", host)
	}
	for _, a := range addrs {
		if reason := p.refusal(a); reason != "" {
			return fmt.Errorf("%w: host %s resolves to %s, %s", ErrForbiddenDestination, host, a, reason)
		}
	}
	return nil
}

// control is a net.Dialer Control function: it runs after the address is
// resolved and before connect, so a refused destination never sees a packet,
// whatever DNS answered when the hook was saved.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dial address %q", ErrForbiddenDestination, address)
	}
	return p.Allowed(ap.Addr())
}

// parseDestination parses a hook URL for sending. Its error never repeats the
// URL, whose path or query may carry a token.
func parseDestination(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: want an absolute http or https URL", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: port %q is not 1-65535", ErrInvalidURL, p)
		}
	}
	return u, nil
}
