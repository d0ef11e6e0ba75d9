package mapping_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		method, path string
		wantRoute    string
		wantParams   string
	}{
		{"POST", "/api/users", "/users", "[]"},
		{"post", "/users/", "/users", "[]"},
		{"PATCH", "/api/users/u%2F1/custom-data?x=1", "/users/:userId/custom-data", "[{userId u/1}]"},
		{"PATCH", "/API/USERS/u1", "", ""}, // /api is a case-sensitive mount prefix
		{"PATCH", "/Users/u1", "/users/:userId", "[{userId u1}]"},
		{"DELETE", "/organization-roles/r1/scopes/s1", "/organization-roles/:id/scopes/:organizationScopeId", "[{id r1} {organizationScopeId s1}]"},
		{"DELETE", "/users/u1/trusted-devices/d1", "/users/:userId/trusted-devices/:trustedDeviceId", "[{userId u1} {trustedDeviceId d1}]"},
		{"DELETE", "/users/u1", "/users/:userId", "[{userId u1}]"},
		{"PUT", "/organization-invitations/i1/status", "/organization-invitations/:id/status", "[{id i1}]"},
		{"GET", "/users/u1", "", ""},
		{"PATCH", "/users//custom-data", "", ""},
		{"PATCH", "/users/u1/custom-data/extra", "", ""},
		{"POST", "/apiusers", "", ""},
		{"POST", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			route, params, ok := mapping.MatchRoute(tt.method, tt.path)
			if tt.wantRoute == "" {
				if ok {
					t.Errorf("matched %s %s, want no match", route.Method, route.Pattern)
				}
				return
			}
			if !ok || route.Pattern != tt.wantRoute || fmt.Sprint(params) != tt.wantParams {
				t.Errorf("got %v %q %v, want %q %s", ok, route.Pattern, params, tt.wantRoute, tt.wantParams)
			}
		})
	}
}

func TestRouteTable(t *testing.T) {
	registered, seen := 0, map[string]bool{}
	for _, r := range mapping.Routes {
		key := r.Method + " " + r.Pattern
		if seen[key] {
			t.Errorf("route %s listed twice", key)
		}
		seen[key] = true
		if !r.Manual {
			registered++
		}
		if !r.Event.Valid() || r.Event.Group() != webhook.GroupData {
			t.Errorf("route %s fires %q, not a data event", key, r.Event)
		}
	}
	if registered != 26 {
		t.Errorf("%d registered routes, want Logto's 26", registered)
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/api": "/", "/api/": "/", "/api/users": "/users", "/users/": "/users", "/": "/",
		"/api/users?page=2#x": "/users", "/apis/x": "/apis/x",
	} {
		if got := mapping.NormalizePath(in); got != want {
			t.Errorf("NormalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMatchRoute checks that matching never panics and is consistent: a match
// names a route of the asked method whose pattern accepts the path with one
// param per :segment; and every pattern filled with any param values matches
// itself back.
func FuzzMatchRoute(f *testing.F) {
	for _, r := range mapping.Routes {
		f.Add(r.Method, "/api"+r.Pattern, "value")
	}
	f.Add("patch", "/users/%zz/profile?x", "a/b")
	f.Add("DELETE", "//", "")
	f.Fuzz(func(t *testing.T, method, path, value string) {
		route, params, ok := mapping.MatchRoute(method, path)
		if ok {
			if route.Method != strings.ToUpper(method) {
				t.Fatalf("%s %s matched a %s route", method, path, route.Method)
			}
			if want := strings.Count(route.Pattern, ":"); len(params) != want {
				t.Fatalf("%s %s: %d params for %s", method, path, len(params), route.Pattern)
			}
			again, ok := mapping.MatchPattern(route.Pattern, mapping.NormalizePath(path))
			if !ok || fmt.Sprint(again) != fmt.Sprint(params) {
				t.Fatalf("MatchPattern disagrees with MatchRoute for %s", path)
			}
		}
		if value == "" {
			return
		}
		for _, r := range mapping.Routes {
			concrete := r.Pattern
			for _, seg := range strings.Split(r.Pattern, "/") {
				if strings.HasPrefix(seg, ":") {
					concrete = strings.Replace(concrete, seg, url.PathEscape(value), 1)
				}
			}
			params, ok := mapping.MatchPattern(r.Pattern, concrete)
			if !ok {
				t.Fatalf("%s does not match its own instance %s", r.Pattern, concrete)
			}
			for _, p := range params {
				if p.Value != value {
					t.Fatalf("%s: param %s = %q, want %q", concrete, p.Name, p.Value, value)
				}
			}
		}
	})
}
