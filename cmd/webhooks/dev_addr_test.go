package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestDevAddrErrors: a busy port and an address beyond loopback are one-line
// errors naming the address, and the command fails (main exits 1).
func TestDevAddrErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	db := filepath.Join(t.TempDir(), "dev.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", l.Addr().String()}, "cannot listen on " + l.Addr().String()},
		{[]string{"--addr", "0.0.0.0:0"}, "--listen-any"},
		{[]string{"--addr", ":0", "--listen-any"}, "--access-token"},
	} {
		_, _, err := execCLI(t, "", append([]string{"dev", "--db", db}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("webhooks dev %v: error %v; want one line containing %q", tt.args, err, tt.want)
		}
	}
}
