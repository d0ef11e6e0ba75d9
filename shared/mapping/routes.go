package mapping

import (
	"net/url"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Route is one Management API route that fires a data event: Logto's
// managementApiHooksRegistration (docs/logto-webhooks.md §2.1) or a route whose handler
// appends a context by hand (§2.3).
type Route struct {
	Method string
	// Pattern is the koa-router path without /api, e.g. /users/:userId.
	Pattern string
	// Event is the event the route fires.
	Event webhook.Event
	// Manual marks §2.3 routes: the handler builds the payload (User.Deleted,
	// memberships, ...) instead of the generic registered-route context.
	Manual bool
}

// Routes is the route table in Logto's order: the 26 registered rows, then the
// manual ones.
var Routes = []Route{
	{"POST", "/users", webhook.UserCreated, false},
	{"PATCH", "/users/:userId", webhook.UserDataUpdated, false},
	{"PATCH", "/users/:userId/custom-data", webhook.UserDataUpdated, false},
	{"PATCH", "/users/:userId/profile", webhook.UserDataUpdated, false},
	{"PATCH", "/users/:userId/password", webhook.UserDataUpdated, false},
	{"PATCH", "/users/:userId/is-suspended", webhook.UserSuspensionStatusUpdated, false},
	{"POST", "/roles", webhook.RoleCreated, false},
	{"DELETE", "/roles/:id", webhook.RoleDeleted, false},
	{"PATCH", "/roles/:id", webhook.RoleDataUpdated, false},
	{"POST", "/roles/:id/scopes", webhook.RoleScopesUpdated, false},
	{"DELETE", "/roles/:id/scopes/:scopeId", webhook.RoleScopesUpdated, false},
	{"POST", "/resources/:resourceId/scopes", webhook.ScopeCreated, false},
	{"DELETE", "/resources/:resourceId/scopes/:scopeId", webhook.ScopeDeleted, false},
	{"PATCH", "/resources/:resourceId/scopes/:scopeId", webhook.ScopeDataUpdated, false},
	{"POST", "/organizations", webhook.OrganizationCreated, false},
	{"DELETE", "/organizations/:id", webhook.OrganizationDeleted, false},
	{"PATCH", "/organizations/:id", webhook.OrganizationDataUpdated, false},
	{"POST", "/organization-roles", webhook.OrganizationRoleCreated, false},
	{"DELETE", "/organization-roles/:id", webhook.OrganizationRoleDeleted, false},
	{"PATCH", "/organization-roles/:id", webhook.OrganizationRoleDataUpdated, false},
	{"POST", "/organization-scopes", webhook.OrganizationScopeCreated, false},
	{"DELETE", "/organization-scopes/:id", webhook.OrganizationScopeDeleted, false},
	{"PATCH", "/organization-scopes/:id", webhook.OrganizationScopeDataUpdated, false},
	{"PUT", "/organization-roles/:id/scopes", webhook.OrganizationRoleScopesUpdated, false},
	{"POST", "/organization-roles/:id/scopes", webhook.OrganizationRoleScopesUpdated, false},
	{"DELETE", "/organization-roles/:id/scopes/:organizationScopeId", webhook.OrganizationRoleScopesUpdated, false},

	{"DELETE", "/users/:userId", webhook.UserDeleted, true},
	{"PATCH", "/users/:userId/logto-configs", webhook.UserDataUpdated, true},
	{"POST", "/organizations/:id/users", webhook.OrganizationMembershipUpdated, true},
	{"PUT", "/organizations/:id/users", webhook.OrganizationMembershipUpdated, true},
	{"DELETE", "/organizations/:id/users/:userId", webhook.OrganizationMembershipUpdated, true},
	{"POST", "/organizations/:id/applications", webhook.OrganizationMembershipUpdated, true},
	{"PUT", "/organizations/:id/applications", webhook.OrganizationMembershipUpdated, true},
	{"DELETE", "/organizations/:id/applications/:applicationId", webhook.OrganizationMembershipUpdated, true},
	{"PUT", "/organization-invitations/:id/status", webhook.OrganizationMembershipUpdated, true},
	{"DELETE", "/users/:userId/trusted-devices/:trustedDeviceId", webhook.TrustedDeviceDeleted, true},
}

// Param is one named route parameter, in pattern order (koa-router's ctx.params
// order).
type Param struct {
	Name, Value string
}

// NormalizePath returns the path Logto's handlers see (ctx.path): without the
// query string, without the /api mount prefix and without a trailing slash.
func NormalizePath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "/api" {
		return "/"
	}
	if strings.HasPrefix(p, "/api/") {
		p = p[len("/api"):]
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
}

// MatchPattern matches the normalised path against a koa-router pattern of
// literal and :param segments. Literal segments compare case-insensitively and a
// param matches one non-empty segment, as in koa-router's defaults; param values
// are percent-decoded.
func MatchPattern(pattern, path string) ([]Param, bool) {
	ps := strings.Split(strings.TrimPrefix(NormalizePath(pattern), "/"), "/")
	xs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := []Param{}
	for i, seg := range ps {
		if name, ok := strings.CutPrefix(seg, ":"); ok && name != "" {
			if xs[i] == "" {
				return nil, false
			}
			v, err := url.PathUnescape(xs[i])
			if err != nil {
				v = xs[i]
			}
			params = append(params, Param{name, v})
			continue
		}
		if !strings.EqualFold(seg, xs[i]) {
			return nil, false
		}
	}
	return params, true
}

// MatchRoute finds the route of a request: method plus a concrete path (with or
// without /api). It returns false when no route fires an event for it.
func MatchRoute(method, path string) (Route, []Param, bool) {
	method = strings.ToUpper(method)
	path = NormalizePath(path)
	for _, r := range Routes {
		if r.Method != method {
			continue
		}
		if params, ok := MatchPattern(r.Pattern, path); ok {
			return r, params, true
		}
	}
	return Route{}, nil, false
}

// LookupRoute finds the route with the given method and pattern (a record's own
// matchedRoute).
func LookupRoute(method, pattern string) (Route, bool) {
	method = strings.ToUpper(method)
	pattern = NormalizePath(pattern)
	for _, r := range Routes {
		if r.Method == method && r.Pattern == pattern {
			return r, true
		}
	}
	return Route{}, false
}

func paramsJSON(params []Param) []byte {
	var o object
	for _, p := range params {
		o.strAlways(p.Name, p.Value)
	}
	return o.bytes()
}
