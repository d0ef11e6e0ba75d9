package mapping

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// UserFields is Logto's userInfoSelectFields: the only user fields a webhook
// carries, in the order its pick writes them.
var UserFields = []string{
	"id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData",
	"identities", "lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId",
	"cimdClientId", "isSuspended",
}

// sensitiveUserFields are the user columns that must never leave (password hashes,
// MFA secrets, internal config). Logto's user responses never hold them; they are
// removed from user data that producers pass through unchanged, in case a
// producer forwards a database row.
var sensitiveUserFields = []string{
	"passwordEncrypted", "passwordEncryptionMethod", "logtoConfig", "mfaVerifications",
	"isPasswordExpired", "passwordUpdatedAt", "tenantId",
}

// trustedDeviceFields are the fields of a TrustedDevice event's data.
var trustedDeviceFields = []string{"id", "userId", "expiresAt"}

// MembershipDeltaCap is Logto's MEMBERSHIP_DELTA_CAP: each membership delta array
// is cut to its first 5000 ids.
const MembershipDeltaCap = 5000

// userData reduces a user object to UserFields, in that order.
func userData(user json.RawMessage) json.RawMessage { return pick(user, UserFields...) }

// mgmtContext is buildManagementApiContext: the request as Logto's payloads
// describe it.
type mgmtContext struct {
	path, method string
	status       int
	params       []byte
	matchedRoute string
}

func (c mgmtContext) write(o *object) {
	o.strAlways("path", c.path)
	o.strAlways("method", c.method)
	o.int("status", int64(c.status))
	o.raw("params", c.params)
	o.strAlways("matchedRoute", c.matchedRoute)
}

func (c mgmtContext) param(name string) string { return stringField(c.params, name) }

// metadata writes the Management API metadata: userAgent (when the request had
// one), then ip.
func (b builder) metadata(o *object, withIP bool) {
	o.str("userAgent", b.r.UserAgent)
	if withIP {
		o.str("ip", b.r.IP)
	}
}

func (b builder) managementAPI() ([]payload, error) {
	r := b.r
	// Logto fires data hooks only when the handler did not throw: in practice
	// only for 2xx responses (docs/logto-webhooks.md §3.1).
	if r.Status < 200 || r.Status > 299 {
		return nil, nil
	}
	method := strings.ToUpper(r.Method)
	path := NormalizePath(r.Path)
	var (
		route  Route
		params []Param
		ok     bool
	)
	if r.MatchedRoute != "" {
		if route, ok = LookupRoute(method, r.MatchedRoute); ok {
			params, _ = MatchPattern(route.Pattern, path)
		}
	} else {
		route, params, ok = MatchRoute(method, path)
	}
	if !ok {
		return nil, nil
	}
	ctx := mgmtContext{path: path, method: method, status: r.Status, params: paramsJSON(params), matchedRoute: route.Pattern}
	if r.Params != nil {
		ctx.params = r.Params
	}
	if route.Manual {
		return b.manual(route, ctx)
	}
	extra, err := b.conditional(route, ctx)
	if err != nil {
		return nil, err
	}
	data := r.ResponseBody
	if r.Data != nil {
		data = r.Data
	}
	if strings.HasPrefix(string(route.Event), "User.") {
		data = omit(data, sensitiveUserFields...)
	}
	o := b.start(route.Event)
	b.metadata(o, true)
	ctx.write(o)
	o.raw("data", data)
	return append(extra, payload{route.Event, o.bytes()}), nil
}

// conditional returns the extra events a registered route fires from inside its
// handler (docs/logto-webhooks.md §2.2). They are queued before the registered event.
func (b builder) conditional(route Route, ctx mgmtContext) ([]payload, error) {
	r := b.r
	switch {
	case route.Method == "POST" && route.Pattern == "/roles":
		// Logto tests scopeIds for truthiness, but an empty array makes its
		// role-scope insert fail, so only a non-empty array fires.
		if !nonEmptyArray(field(r.RequestBody, "scopeIds")) {
			return nil, nil
		}
		roleID := stringField(r.ResponseBody, "id")
		if roleID == "" {
			return nil, fieldError("responseBody", "must be the created role with its id: requestBody.scopeIds fires Role.Scopes.Updated with roleId")
		}
		if r.Scopes == nil {
			return nil, fieldError("scopes", "is required when requestBody.scopeIds is non-empty: the full scope objects are the data of Role.Scopes.Updated")
		}
		o := b.start(webhook.RoleScopesUpdated)
		b.metadata(o, true)
		ctx.write(o)
		o.strAlways("roleId", roleID)
		o.raw("data", r.Scopes)
		return []payload{{webhook.RoleScopesUpdated, o.bytes()}}, nil
	case route.Method == "POST" && route.Pattern == "/organization-roles":
		if !nonEmptyArray(field(r.RequestBody, "organizationScopeIds")) && !nonEmptyArray(field(r.RequestBody, "resourceScopeIds")) {
			return nil, nil
		}
		id := stringField(r.ResponseBody, "id")
		if id == "" {
			return nil, fieldError("responseBody", "must be the created organization role with its id: scope ids in the request fire OrganizationRole.Scopes.Updated with organizationRoleId")
		}
		o := b.start(webhook.OrganizationRoleScopesUpdated)
		b.metadata(o, true)
		ctx.write(o)
		o.strAlways("organizationRoleId", id)
		return []payload{{webhook.OrganizationRoleScopesUpdated, o.bytes()}}, nil
	}
	return nil, nil
}

// manual builds the payloads of routes whose Logto handlers append their context
// themselves (docs/logto-webhooks.md §2.3).
func (b builder) manual(route Route, ctx mgmtContext) ([]payload, error) {
	r := b.r
	data := r.Data
	if data == nil {
		data = r.ResponseBody
	}
	o := b.start(route.Event)
	switch route.Event {
	case webhook.UserDeleted:
		if !isObject(data) {
			return nil, fieldError("data", "is required for DELETE /users/:userId: the user as it was before deletion (the response has no body)")
		}
		b.metadata(o, true)
		o.raw("data", userData(data))
		ctx.write(o)
	case webhook.UserDataUpdated: // PATCH /users/:userId/logto-configs
		// Its response is the logto config, not the user, so only data will do.
		if !isObject(r.Data) {
			return nil, fieldError("data", "is required for PATCH /users/:userId/logto-configs: the updated user")
		}
		b.metadata(o, true)
		o.raw("data", userData(r.Data))
	case webhook.TrustedDeviceDeleted:
		if !isObject(data) {
			return nil, fieldError("data", "is required for DELETE /users/:userId/trusted-devices/:trustedDeviceId: the deleted device {id,userId,expiresAt}")
		}
		b.metadata(o, false) // Logto never sends ip with TrustedDevice events.
		ctx.write(o)
		o.raw("data", pick(data, trustedDeviceFields...))
	case webhook.OrganizationMembershipUpdated:
		return b.membership(route, ctx)
	}
	return []payload{{route.Event, o.bytes()}}, nil
}

func (b builder) membership(route Route, ctx mgmtContext) ([]payload, error) {
	r := b.r
	orgID := r.OrganizationID
	added, removed := r.AddedUserIDs, r.RemovedUserIDs
	addedApps, removedApps := r.AddedApplicationIDs, r.RemovedApplicationIDs
	switch route.Pattern {
	case "/organization-invitations/:id/status":
		// Only accepting an invitation changes membership; Logto sets the
		// status to 200 before building the context.
		if stringField(r.RequestBody, "status") != "Accepted" {
			return nil, nil
		}
		if orgID == "" {
			return nil, fieldError("organizationId", "is required for PUT /organization-invitations/:id/status: the :id is the invitation's")
		}
		ctx.status = 200
	case "/organizations/:id/users/:userId":
		if len(removed) == 0 && ctx.param("userId") != "" {
			removed = []string{ctx.param("userId")}
		}
	case "/organizations/:id/applications/:applicationId":
		if len(removedApps) == 0 && ctx.param("applicationId") != "" {
			removedApps = []string{ctx.param("applicationId")}
		}
	}
	if orgID == "" {
		orgID = ctx.param("id")
	}
	if orgID == "" {
		return nil, fieldError("organizationId", "is required: no :id in the path names the organization")
	}
	o := b.start(webhook.OrganizationMembershipUpdated)
	b.metadata(o, true)
	ctx.write(o)
	o.strAlways("organizationId", orgID)
	writeDelta(o, "addedUserIds", added)
	writeDelta(o, "removedUserIds", removed)
	writeDelta(o, "addedApplicationIds", addedApps)
	writeDelta(o, "removedApplicationIds", removedApps)
	return []payload{{webhook.OrganizationMembershipUpdated, o.bytes()}}, nil
}

// writeDelta follows truncateMembershipDelta: empty arrays are omitted, long ones
// cut to MembershipDeltaCap.
func writeDelta(o *object, key string, ids []string) {
	if len(ids) == 0 {
		return
	}
	if len(ids) > MembershipDeltaCap {
		ids = ids[:MembershipDeltaCap]
	}
	o.strings(key, ids)
}

func nonEmptyArray(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	var elems []json.RawMessage
	return json.Unmarshal(v, &elems) == nil && len(elems) > 0
}
