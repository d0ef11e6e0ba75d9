package delivery_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/delivery"
)

func TestPolicyAllowed(t *testing.T) {
	loopbackOnly := delivery.Policy{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	tests := []struct {
		name    string
		policy  delivery.Policy
		ip      string
		wantMsg string // "" means allowed
	}{
		{name: "public IPv4", ip: "93.184.215.14"},
		{name: "public IPv6", ip: "2606:4700:4700::1111"},
		{name: "public via NAT64", ip: "64:ff9b::808:808"},
		{name: "loopback", ip: "127.0.0.1", wantMsg: "127.0.0.1 is a loopback address"},
		{name: "loopback range", ip: "127.1.2.3", wantMsg: "loopback"},
		{name: "private 10/8", ip: "10.0.0.1", wantMsg: "10.0.0.1 is a private address (10.0.0.0/8)"},
		{name: "private 172.16/12", ip: "172.16.0.1", wantMsg: "private address (172.16.0.0/12)"},
		{name: "private 172.31", ip: "172.31.255.255", wantMsg: "private"},
		{name: "public 172.32", ip: "172.32.0.1"},
		{name: "private 192.168/16", ip: "192.168.1.1", wantMsg: "private address (192.168.0.0/16)"},
		{name: "metadata", ip: "169.254.169.254", wantMsg: "169.254.169.254 is a link-local"},
		{name: "Lambda runtime API", ip: "169.254.100.1", wantMsg: "link-local"},
		{name: "CGNAT", ip: "100.64.0.1", wantMsg: "carrier-grade NAT"},
		{name: "unspecified IPv4", ip: "0.0.0.0", wantMsg: "unspecified"},
		{name: "this network", ip: "0.1.2.3", wantMsg: "unspecified"},
		{name: "multicast IPv4", ip: "224.0.0.251", wantMsg: "multicast"},
		{name: "broadcast", ip: "255.255.255.255", wantMsg: "broadcast"},
		{name: "loopback IPv6", ip: "::1", wantMsg: "::1 is a loopback address"},
		{name: "unspecified IPv6", ip: "::", wantMsg: "unspecified"},
		{name: "unique local", ip: "fd00::1", wantMsg: "private (unique local)"},
		{name: "link-local IPv6", ip: "fe80::1", wantMsg: "link-local"},
		{name: "link-local IPv6 with zone", ip: "fe80::1%eth0", wantMsg: "link-local"},
		{name: "multicast IPv6", ip: "ff02::1", wantMsg: "multicast"},
		{name: "mapped loopback", ip: "::ffff:127.0.0.1", wantMsg: "::ffff:127.0.0.1 is a loopback address"},
		{name: "mapped metadata", ip: "::ffff:169.254.169.254", wantMsg: "link-local"},
		{name: "mapped private", ip: "::ffff:10.0.0.1", wantMsg: "private"},
		{name: "NAT64 of private", ip: "64:ff9b::a00:1", wantMsg: "translation of 10.0.0.1, a private address"},
		{name: "6to4 of metadata", ip: "2002:a9fe:a9fe::1", wantMsg: "translation of 169.254.169.254"},
		{name: "IPv4-compatible", ip: "::7f00:1", wantMsg: "IPv4-compatible"},
		{name: "allow-listed", policy: loopbackOnly, ip: "127.0.0.1"},
		{name: "allow-listed, mapped form", policy: loopbackOnly, ip: "::ffff:127.0.0.1"},
		{name: "outside the allow-list", policy: loopbackOnly, ip: "127.0.0.2", wantMsg: "loopback"},
		{name: "allow-list does not open private ranges", policy: loopbackOnly, ip: "10.0.0.1", wantMsg: "private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Allowed(netip.MustParseAddr(tt.ip))
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Allowed(%s) = %v, want nil", tt.ip, err)
				}
				return
			}
			if !errors.Is(err, delivery.ErrForbiddenDestination) {
				t.Fatalf("Allowed(%s) = %v, want ErrForbiddenDestination", tt.ip, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Allowed(%s) = %q, want it to contain %q", tt.ip, err, tt.wantMsg)
			}
		})
	}
	if err := (delivery.Policy{}).Allowed(netip.Addr{}); !errors.Is(err, delivery.ErrForbiddenDestination) {
		t.Errorf("Allowed(zero Addr) = %v, want ErrForbiddenDestination", err)
	}
}

func TestParseCIDRs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "prefixes and bare IPs", in: "10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8", want: "10.0.0.0/8 127.0.0.1/32 ::1/128 fd00::/8"},
		{name: "host bits masked", in: "192.168.1.7/24", want: "192.168.1.0/24"},
		{name: "empty", in: "", want: ""},
		{name: "empty entries skipped", in: ",127.0.0.1,", want: "127.0.0.1/32"},
		{name: "hostname", in: "localhost", wantErr: `entry 1 "localhost" is neither an IP address nor a CIDR prefix`},
		{name: "bad prefix length", in: "127.0.0.1,10.0.0.0/33", wantErr: `entry 2 "10.0.0.0/33" is not a CIDR prefix`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := delivery.ParseCIDRs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCIDRs(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCIDRs(%q) = %v", tt.in, err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if strings.Join(s, " ") != tt.want {
				t.Errorf("ParseCIDRs(%q) = %v, want %s", tt.in, s, tt.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	r := fakeResolver(map[string][]string{
		"public.test":  {"93.184.215.14", "2606:4700:4700::1111"},
		"mixed.test":   {"93.184.215.14", "10.1.2.3"},
		"private.test": {"192.168.1.1"},
		"mapped.test":  {"::ffff:169.254.169.254"},
	})
	tests := []struct {
		name    string
		url     string
		wantErr error
		wantMsg string
	}{
		{name: "public host", url: "https://public.test/hook"},
		{name: "public IP", url: "http://93.184.215.14:8080/hook"},
		{name: "one private address among public ones", url: "https://mixed.test/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "host mixed.test resolves to 10.1.2.3, a private address"},
		{name: "private host", url: "https://private.test/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "host private.test resolves to 192.168.1.1"},
		{name: "mapped metadata", url: "https://mapped.test/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "link-local"},
		{name: "loopback literal", url: "http://127.0.0.1:9001/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "127.0.0.1 is a loopback address"},
		{name: "IPv6 literal", url: "http://[::1]/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "::1 is a loopback address"},
		{name: "metadata literal", url: "http://169.254.169.254/latest/meta-data/", wantErr: delivery.ErrForbiddenDestination, wantMsg: "169.254.169.254"},
		{name: "unknown host", url: "https://nowhere.test/", wantMsg: "resolve host nowhere.test"},
		{name: "not http", url: "ftp://public.test/", wantErr: delivery.ErrInvalidURL},
		{name: "relative", url: "/hook", wantErr: delivery.ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := delivery.Policy{}.CheckURL(context.Background(), tt.url, r)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckURL(%s) = %v, want nil", tt.url, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckURL(%s) = nil, want an error", tt.url)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckURL(%s) = %v, want errors.Is %v", tt.url, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("CheckURL(%s) = %q, want it to contain %q", tt.url, err, tt.wantMsg)
			}
		})
	}
}

// TestCheckURLLocalhost uses the system resolver: localhost resolves from
// /etc/hosts (or Go's built-in rule) to loopback without any DNS traffic.
func TestCheckURLLocalhost(t *testing.T) {
	err := delivery.Policy{}.CheckURL(context.Background(), "http://localhost:8080/", nil)
	if !errors.Is(err, delivery.ErrForbiddenDestination) || !strings.Contains(err.Error(), "host localhost resolves to") {
		t.Errorf("CheckURL(localhost) = %v, want a refusal naming the host", err)
	}
}

// fakeResolver answers A and AAAA queries from hosts over an in-memory pipe, so
// tests control DNS without any packet leaving the process. Unknown names get
// NXDOMAIN.
func fakeResolver(hosts map[string][]string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go serveDNS(server, hosts)
			return client, nil
		},
	}
}

// serveDNS speaks DNS over a stream (2-byte length prefix), which Go's resolver
// uses for a net.Conn that is not a PacketConn.
func serveDNS(c net.Conn, hosts map[string][]string) {
	defer c.Close()
	for {
		var n uint16
		if binary.Read(c, binary.BigEndian, &n) != nil {
			return
		}
		q := make([]byte, n)
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		// Question: labels up to a zero byte, then type and class.
		end, labels := 12, []string{}
		for end < len(q) && q[end] != 0 {
			l := int(q[end])
			labels = append(labels, strings.ToLower(string(q[end+1:end+1+l])))
			end += 1 + l
		}
		end += 5
		qtype := binary.BigEndian.Uint16(q[end-4:])
		var answers [][]byte
		addrs, known := hosts[strings.Join(labels, ".")]
		for _, a := range addrs {
			ip := netip.MustParseAddr(a)
			switch {
			case qtype == 1 && ip.Is4():
				answers = append(answers, ip.AsSlice())
			case qtype == 28 && !ip.Is4():
				answers = append(answers, ip.AsSlice())
			}
		}
		flags := uint16(0x8180) // response, recursion desired and available
		if !known {
			flags |= 3 // NXDOMAIN
		}
		resp := binary.BigEndian.AppendUint16(nil, binary.BigEndian.Uint16(q))
		resp = binary.BigEndian.AppendUint16(resp, flags)
		resp = append(resp, 0, 1, 0, byte(len(answers)), 0, 0, 0, 0)
		resp = append(resp, q[12:end]...)
		for _, rdata := range answers {
			resp = append(resp, 0xc0, 12) // pointer to the question name
			resp = binary.BigEndian.AppendUint16(resp, qtype)
			resp = append(resp, 0, 1, 0, 0, 0, 60)
			resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
			resp = append(resp, rdata...)
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
		if _, err := c.Write(append(out, resp...)); err != nil {
			return
		}
	}
}
