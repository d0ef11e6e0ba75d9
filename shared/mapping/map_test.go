package mapping_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

var testNow = time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)

// lines renders events as `webhooks events map` prints them: one JSON object per
// line, payload bytes untouched.
func lines(t *testing.T, events []webhook.EventMessage) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func mapBody(t *testing.T, body string) []webhook.EventMessage {
	t.Helper()
	records, err := ingest.DecodeRequest([]byte(body))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	events, err := ingest.MapAll(records, testNow)
	if err != nil {
		t.Fatalf("MapAll: %v", err)
	}
	return events
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func eventNames(events []webhook.EventMessage) []webhook.Event {
	var out []webhook.Event
	for _, e := range events {
		out = append(out, e.Event)
	}
	return out
}

func sameEvents(got []webhook.EventMessage, want ...webhook.Event) bool {
	return fmt.Sprint(eventNames(got)) == fmt.Sprint(want)
}

// TestRegisteredRoutes has one case per row of Logto's managementApiHooksRegistration
// (docs/logto-webhooks.md §2.1), each with the status the real route returns.
func TestRegisteredRoutes(t *testing.T) {
	user := `{"id":"u1","username":"alice","primaryEmail":"a@example.com","primaryPhone":null,"name":"Alice","avatar":null,"customData":{"plan":"pro"},"identities":{},"lastSignInAt":null,"createdAt":1755777600000,"updatedAt":1755777600000,"profile":{},"applicationId":null,"isSuspended":false,"hasPassword":true}`
	role := `{"tenantId":"default","id":"r1","name":"admin","description":"Admins","type":"User","isDefault":false}`
	scope := `{"tenantId":"default","id":"s1","resourceId":"res1","name":"read:docs","description":"Read docs","createdAt":1755777600000}`
	org := `{"tenantId":"default","id":"o1","name":"Acme","description":null,"customData":{},"isMfaRequired":false,"branding":{},"createdAt":1755777600000}`
	orgRole := `{"tenantId":"default","id":"or1","name":"member","description":null,"type":"User"}`
	orgScope := `{"tenantId":"default","id":"os1","name":"read:org","description":null}`
	tests := []struct {
		name, method, path string
		status             int
		response           string
		want               webhook.Event
	}{
		{"post_users", "POST", "/api/users", 200, user, webhook.UserCreated},
		{"patch_user", "PATCH", "/api/users/u1", 200, user, webhook.UserDataUpdated},
		{"patch_user_custom_data", "PATCH", "/api/users/u1/custom-data", 200, `{"plan":"pro"}`, webhook.UserDataUpdated},
		{"patch_user_profile", "PATCH", "/api/users/u1/profile", 200, `{"givenName":"Alice"}`, webhook.UserDataUpdated},
		{"patch_user_password", "PATCH", "/api/users/u1/password", 200, user, webhook.UserDataUpdated},
		{"patch_user_is_suspended", "PATCH", "/api/users/u1/is-suspended", 200, user, webhook.UserSuspensionStatusUpdated},
		{"post_roles", "POST", "/api/roles", 200, role, webhook.RoleCreated},
		{"delete_role", "DELETE", "/api/roles/r1", 204, "", webhook.RoleDeleted},
		{"patch_role", "PATCH", "/api/roles/r1", 200, role, webhook.RoleDataUpdated},
		{"post_role_scopes", "POST", "/api/roles/r1/scopes", 201, "[" + scope + "]", webhook.RoleScopesUpdated},
		{"delete_role_scope", "DELETE", "/api/roles/r1/scopes/s1", 204, "", webhook.RoleScopesUpdated},
		{"post_resource_scopes", "POST", "/api/resources/res1/scopes", 201, scope, webhook.ScopeCreated},
		{"delete_resource_scope", "DELETE", "/api/resources/res1/scopes/s1", 204, "", webhook.ScopeDeleted},
		{"patch_resource_scope", "PATCH", "/api/resources/res1/scopes/s1", 200, scope, webhook.ScopeDataUpdated},
		{"post_organizations", "POST", "/api/organizations", 201, org, webhook.OrganizationCreated},
		{"delete_organization", "DELETE", "/api/organizations/o1", 204, "", webhook.OrganizationDeleted},
		{"patch_organization", "PATCH", "/api/organizations/o1", 200, org, webhook.OrganizationDataUpdated},
		{"post_organization_roles", "POST", "/api/organization-roles", 201, orgRole, webhook.OrganizationRoleCreated},
		{"delete_organization_role", "DELETE", "/api/organization-roles/or1", 204, "", webhook.OrganizationRoleDeleted},
		{"patch_organization_role", "PATCH", "/api/organization-roles/or1", 200, orgRole, webhook.OrganizationRoleDataUpdated},
		{"post_organization_scopes", "POST", "/api/organization-scopes", 201, orgScope, webhook.OrganizationScopeCreated},
		{"delete_organization_scope", "DELETE", "/api/organization-scopes/os1", 204, "", webhook.OrganizationScopeDeleted},
		{"patch_organization_scope", "PATCH", "/api/organization-scopes/os1", 200, orgScope, webhook.OrganizationScopeDataUpdated},
		{"put_organization_role_scopes", "PUT", "/api/organization-roles/or1/scopes", 204, "", webhook.OrganizationRoleScopesUpdated},
		{"post_organization_role_scopes", "POST", "/api/organization-roles/or1/scopes", 201, "", webhook.OrganizationRoleScopesUpdated},
		{"delete_organization_role_scope", "DELETE", "/api/organization-roles/or1/scopes/os1", 204, "", webhook.OrganizationRoleScopesUpdated},
	}
	if len(tests) != 26 {
		t.Fatalf("have %d cases, want one per registration row (26)", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"type":"managementApi","id":"req-%s","method":%q,"path":%q,"status":%d,"ip":"203.0.113.5","userAgent":"curl/8.5.0"`, tt.name, tt.method, tt.path, tt.status)
			if tt.response != "" {
				body += `,"responseBody":` + tt.response
			}
			body += "}"
			events := mapBody(t, body)
			if !sameEvents(events, tt.want) {
				t.Fatalf("events = %v, want [%s]", eventNames(events), tt.want)
			}
			checkGolden(t, "mgmt_"+tt.name, lines(t, events))
		})
	}
}

// goldenCases are records whose exact output is pinned by a golden file, with the
// event names each must produce.
var goldenCases = []struct {
	name string
	body string
	want []webhook.Event
}{
	// Manual Management API routes (docs/logto-webhooks.md §2.3).
	{"manual_delete_user", `{"type":"managementApi","id":"del-1","method":"DELETE","path":"/api/users/u1","status":204,"ip":"203.0.113.5","userAgent":"curl/8.5.0",
		"data":{"tenantId":"default","id":"u1","username":"alice","primaryEmail":"a@example.com","primaryPhone":null,"name":"Alice","avatar":null,"passwordEncrypted":"$argon2i$v=19$secret","passwordEncryptionMethod":"Argon2i","customData":{},"identities":{},"logtoConfig":{"mfa":{"skipped":true}},"mfaVerifications":[{"type":"Totp","key":"JBSWY3DPEHPK3PXP"}],"lastSignInAt":null,"createdAt":1755777600000,"updatedAt":1755777600000,"profile":{},"applicationId":null,"isSuspended":false,"isPasswordExpired":false,"passwordUpdatedAt":null}}`,
		[]webhook.Event{webhook.UserDeleted}},
	{"manual_patch_logto_configs", `{"type":"managementApi","id":"cfg-1","method":"PATCH","path":"/api/users/u1/logto-configs","status":200,"ip":"203.0.113.5",
		"responseBody":{"mfa":{"skipped":true}},"data":{"isSuspended":false,"id":"u1","username":"alice","passwordEncrypted":"x","logtoConfig":{"mfa":{"skipped":true}}}}`,
		[]webhook.Event{webhook.UserDataUpdated}},
	{"manual_post_org_users", `{"type":"managementApi","id":"ou-1","method":"POST","path":"/api/organizations/o1/users","status":201,"ip":"203.0.113.5","userAgent":"curl/8.5.0","requestBody":{"userIds":["u1","u2","u3"]},"addedUserIds":["u2","u3"]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_put_org_users", `{"type":"managementApi","id":"ou-2","method":"PUT","path":"/api/organizations/o1/users","status":204,"ip":"203.0.113.5","addedUserIds":["u4"],"removedUserIds":["u1","u2"]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_put_org_users_no_change", `{"type":"managementApi","id":"ou-3","method":"PUT","path":"/api/organizations/o1/users","status":204,"ip":"203.0.113.5","addedUserIds":[],"removedUserIds":[]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_delete_org_user", `{"type":"managementApi","id":"ou-4","method":"DELETE","path":"/api/organizations/o1/users/u2","status":204,"ip":"203.0.113.5"}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_post_org_applications", `{"type":"managementApi","id":"oa-1","method":"POST","path":"/api/organizations/o1/applications","status":201,"ip":"203.0.113.5","addedApplicationIds":["app1"]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_put_org_applications", `{"type":"managementApi","id":"oa-2","method":"PUT","path":"/api/organizations/o1/applications","status":204,"ip":"203.0.113.5","addedApplicationIds":["app2"],"removedApplicationIds":["app1"]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_delete_org_application", `{"type":"managementApi","id":"oa-3","method":"DELETE","path":"/api/organizations/o1/applications/app1","status":204,"ip":"203.0.113.5"}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_accept_invitation", `{"type":"managementApi","id":"inv-1","method":"PUT","path":"/api/organization-invitations/inv1/status","status":201,"ip":"203.0.113.5","requestBody":{"status":"Accepted","acceptedUserId":"u9"},"responseBody":{"id":"inv1","status":"Accepted"},"organizationId":"o1","addedUserIds":["u9"]}`,
		[]webhook.Event{webhook.OrganizationMembershipUpdated}},
	{"manual_delete_trusted_device", `{"type":"managementApi","id":"td-1","method":"DELETE","path":"/api/users/u1/trusted-devices/td1","status":204,"ip":"203.0.113.5","userAgent":"curl/8.5.0","data":{"tenantId":"default","id":"td1","userId":"u1","expiresAt":1758369600000,"deviceSecret":"never-send"}}`,
		[]webhook.Event{webhook.TrustedDeviceDeleted}},
	{"manual_registered_user_row_stripped", `{"type":"managementApi","id":"row-1","method":"POST","path":"/api/users","status":200,"ip":"203.0.113.5",
		"responseBody":{"id":"u5","tenantId":"default","username":"eve","passwordEncrypted":"$argon2i$secret","passwordEncryptionMethod":"Argon2i","mfaVerifications":[],"logtoConfig":{},"isPasswordExpired":false,"passwordUpdatedAt":null,"isSuspended":false,"hasPassword":true}}`,
		[]webhook.Event{webhook.UserCreated}},
	// Conditional extra events (§2.2): the extra one first.
	{"conditional_post_roles_with_scopes", `{"type":"managementApi","id":"role-1","method":"POST","path":"/api/roles","status":200,"ip":"203.0.113.5","userAgent":"curl/8.5.0",
		"requestBody":{"name":"editor","description":"Editors","scopeIds":["s1","s2"]},
		"responseBody":{"tenantId":"default","id":"r2","name":"editor","description":"Editors","type":"User","isDefault":false},
		"scopes":[{"tenantId":"default","id":"s1","resourceId":"res1","name":"read:docs","description":null,"createdAt":1755777600000},{"tenantId":"default","id":"s2","resourceId":"res1","name":"write:docs","description":null,"createdAt":1755777600000}]}`,
		[]webhook.Event{webhook.RoleScopesUpdated, webhook.RoleCreated}},
	{"conditional_post_organization_roles_with_scopes", `{"type":"managementApi","id":"orgrole-1","method":"POST","path":"/api/organization-roles","status":201,"ip":"203.0.113.5",
		"requestBody":{"name":"viewer","organizationScopeIds":[],"resourceScopeIds":["s1"]},
		"responseBody":{"tenantId":"default","id":"or2","name":"viewer","description":null,"type":"User"}}`,
		[]webhook.Event{webhook.OrganizationRoleScopesUpdated, webhook.OrganizationRoleCreated}},

	// Interaction flows (§4).
	{"interaction_register", `{"type":"interaction","id":"ix-1","interactionEvent":"Register","sessionId":"sess1","userId":"u1","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"user":{"id":"u1","username":"alice","passwordEncrypted":"$argon2i$secret","primaryEmail":"a@example.com","primaryPhone":null,"name":null,"avatar":null,"customData":{},"identities":{},"lastSignInAt":1755777600000,"createdAt":1755777600000,"updatedAt":1755777600000,"profile":{},"applicationId":"app1","isSuspended":false,"mfaVerifications":[]},
		"application":{"id":"app1","type":"SPA","name":"My app","description":null,"secret":"app-secret","oidcClientMetadata":{"redirectUris":[]}}}`,
		[]webhook.Event{webhook.PostRegister, webhook.UserCreated}},
	{"interaction_sign_in", `{"type":"interaction","id":"ix-2","interactionEvent":"SignIn","sessionId":"sess2","userId":"u1","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"user":{"id":"u1","username":"alice","isSuspended":false},"application":{"id":"app1","type":"SPA","name":"My app","description":null}}`,
		[]webhook.Event{webhook.PostSignIn}},
	{"interaction_sign_in_linked", `{"type":"interaction","id":"ix-3","interactionEvent":"SignIn","sessionId":"sess3","ip":"198.51.100.7","userAgent":"Mozilla/5.0","linked":["mfa","email"],
		"user":{"id":"u1","username":"alice","primaryEmail":"new@example.com","isSuspended":false},"applicationId":"app1"}`,
		[]webhook.Event{webhook.PostSignIn, webhook.UserDataUpdated}},
	{"interaction_forgot_password", `{"type":"interaction","id":"ix-4","interactionEvent":"ForgotPassword","sessionId":"sess4","userId":"u1","ip":"198.51.100.7",
		"user":{"id":"u1","username":"alice","passwordEncrypted":"$argon2i$new","isSuspended":false},"application":{"id":"app1","type":"Traditional","name":"Portal","description":"Customer portal"}}`,
		[]webhook.Event{webhook.PostResetPassword, webhook.UserDataUpdated}},
	{"interaction_adaptive_mfa", `{"type":"interaction","id":"ix-5","interactionEvent":"SignIn","sessionId":"sess5","userId":"u1","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"adaptiveMfaResult":{"requiresMfa":true,"triggeredRules":[{"rule":"new_country","details":{"country":"FR","previousCountry":"CA"}}]},
		"user":{"id":"u1","username":"alice"},"linked":["email"]}`,
		[]webhook.Event{webhook.PostSignInAdaptiveMfaTriggered}},
	{"interaction_linked_only", `{"type":"interaction","id":"acct-1","ip":"198.51.100.7","userAgent":"Mozilla/5.0","linked":["phone"],
		"user":{"id":"u1","primaryPhone":"+15551234567","passwordEncrypted":"x"}}`,
		[]webhook.Event{webhook.UserDataUpdated}},
	{"interaction_cimd_client", `{"type":"interaction","id":"ix-6","interactionEvent":"Register","userId":"u7","ip":"198.51.100.7","cimdClientId":"https://client.example.com/metadata.json",
		"user":{"id":"u7","cimdClientId":"https://client.example.com/metadata.json"}}`,
		[]webhook.Event{webhook.PostRegister, webhook.UserCreated}},

	// Exception and explicit events (§5.3-§5.6).
	{"event_identifier_lockout", `{"type":"event","id":"ev-1","event":"Identifier.Lockout","ip":"198.51.100.7","userAgent":"Mozilla/5.0","fields":{"type":"email","value":"a@example.com"}}`,
		[]webhook.Event{webhook.IdentifierLockout}},
	{"event_identifier_lockout_experience", `{"type":"event","id":"ev-2","event":"Identifier.Lockout","interactionEvent":"SignIn","sessionId":"sess9","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"application":{"id":"app1","type":"SPA","name":"My app","description":null,"secret":"nope"},"fields":{"type":"username","value":"alice"}}`,
		[]webhook.Event{webhook.IdentifierLockout}},
	{"event_message_rate_limited", `{"type":"event","id":"ev-3","event":"Message.RateLimited","ip":"198.51.100.7","fields":{"action":"VerificationCodeSend","recipient":"+15551234567"}}`,
		[]webhook.Event{webhook.MessageRateLimited}},
	{"event_grant_limit_exceeded", `{"type":"event","id":"ev-4","event":"Grant.LimitExceeded","ip":"198.51.100.7","createdAt":1755777600123,
		"fields":{"userId":"u1","applicationId":"app1","revokedGrantIds":["g1","g2"],"maxAllowedGrants":3,"preRevocationActiveGrantCount":5}}`,
		[]webhook.Event{webhook.GrantLimitExceeded}},
	{"event_trusted_device_created", `{"type":"event","id":"ev-5","event":"TrustedDevice.Created","interactionEvent":"SignIn","applicationId":"app1","sessionId":"sess1","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"fields":{"data":{"id":"td1","tenantId":"t1","userId":"u1","ip":"203.0.113.9","userAgent":"Mozilla/5.0 (row)","secretHash":"h4sh","expiresAt":1758369600000,"createdAt":1755777600000}}}`,
		[]webhook.Event{webhook.TrustedDeviceCreated}},
	{"event_html_and_unicode", `{"type":"event","id":"ev-6","event":"Identifier.Lockout","ip":"198.51.100.7","userAgent":"<script>&\u2028","createdAt":"2026-08-21T14:00:00.5+02:00","fields":{"type":"username","value":"a<b>&c \u00e9"}}`,
		[]webhook.Event{webhook.IdentifierLockout}},
}

func TestGolden(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			events := mapBody(t, tt.body)
			if !sameEvents(events, tt.want...) {
				t.Fatalf("events = %v, want %v", eventNames(events), tt.want)
			}
			checkGolden(t, tt.name, lines(t, events))
		})
	}
}

// TestPayloadsNeverCarrySecrets checks every golden payload for the sensitive
// fields the inputs deliberately include.
func TestPayloadsNeverCarrySecrets(t *testing.T) {
	for _, tt := range goldenCases {
		for _, e := range mapBody(t, tt.body) {
			for _, secret := range []string{"passwordEncrypted", "passwordEncryptionMethod", "logtoConfig", "mfaVerifications", "isPasswordExpired", "passwordUpdatedAt", "tenantId", "deviceSecret", `"secret"`, "oidcClientMetadata", "hookId"} {
				// Role and scope rows legitimately carry tenantId.
				if secret == "tenantId" && !strings.HasPrefix(string(e.Event), "User.") && !strings.HasPrefix(string(e.Event), "Post") && e.Event != webhook.TrustedDeviceDeleted {
					continue
				}
				if bytes.Contains(e.Payload, []byte(secret)) {
					t.Errorf("%s: %s payload contains %s: %s", tt.name, e.Event, secret, e.Payload)
				}
			}
		}
	}
}

func TestUserDataKeepsWhitelistOrder(t *testing.T) {
	body := `{"type":"interaction","id":"o-1","linked":["profile"],"user":{"isSuspended":true,"profile":{},"name":"N","id":"u1","extra":1}}`
	events := mapBody(t, body)
	data := field(t, events[0].Payload, "data")
	if want := `{"id":"u1","name":"N","profile":{},"isSuspended":true}`; string(data) != want {
		t.Errorf("data = %s, want %s", data, want)
	}
}

// field extracts the raw value of a top-level key without reordering anything.
func field(t *testing.T, obj []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

func TestStatusGating(t *testing.T) {
	tests := []struct {
		status int
		want   int
	}{{100, 0}, {199, 0}, {200, 1}, {201, 1}, {204, 1}, {299, 1}, {300, 0}, {304, 0}, {400, 0}, {404, 0}, {500, 0}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			events := mapBody(t, fmt.Sprintf(`{"type":"managementApi","method":"PATCH","path":"/api/users/u1","status":%d,"responseBody":{"id":"u1"}}`, tt.status))
			if len(events) != tt.want {
				t.Errorf("status %d: %d events, want %d", tt.status, len(events), tt.want)
			}
		})
	}
}

func TestUnmatchedRoutesFireNothing(t *testing.T) {
	for _, req := range []string{
		"GET /api/users/u1", "POST /api/applications", "DELETE /api/resources/res1",
		"PATCH /api/users/u1/password/expiration", "POST /api/organizations/o1/users/roles",
		"POST /apiusers", "POST /api/users/u1", "PUT /api/organization-invitations/inv1/status",
		"PATCH /my-account", "POST /",
	} {
		method, path, _ := strings.Cut(req, " ")
		events := mapBody(t, fmt.Sprintf(`{"type":"managementApi","method":%q,"path":%q,"status":200,"requestBody":{"status":"Revoked"},"responseBody":{"id":"x"}}`, method, path))
		if len(events) != 0 {
			t.Errorf("%s: events %v, want none", req, eventNames(events))
		}
	}
}

func TestAPIPrefixAndPathForms(t *testing.T) {
	want := mapBody(t, `{"type":"managementApi","id":"p","method":"PATCH","path":"/users/u1","status":200,"responseBody":{"id":"u1"}}`)
	for _, path := range []string{"/api/users/u1", "/api/users/u1/", "/api/users/u1?x=1", "/users/u1"} {
		got := mapBody(t, fmt.Sprintf(`{"type":"managementApi","id":"p","method":"patch","path":%q,"status":200,"responseBody":{"id":"u1"}}`, path))
		if !bytes.Equal(lines(t, got), lines(t, want)) {
			t.Errorf("path %s:\ngot  %s\nwant %s", path, lines(t, got), lines(t, want))
		}
	}
	if p := field(t, want[0].Payload, "path"); string(p) != `"/users/u1"` {
		t.Errorf("path = %s, want \"/users/u1\"", p)
	}
}

func TestRecordRouteOverrides(t *testing.T) {
	tests := []struct {
		name, record, wantRoute, wantParams string
	}{
		{"derived", `"path":"/api/resources/res%201/scopes/s1"`, `"/resources/:resourceId/scopes/:scopeId"`, `{"resourceId":"res 1","scopeId":"s1"}`},
		{"given_route", `"path":"/api/resources/res1/scopes/s1","matchedRoute":"/api/resources/:resourceId/scopes/:scopeId"`, `"/resources/:resourceId/scopes/:scopeId"`, `{"resourceId":"res1","scopeId":"s1"}`},
		{"given_params", `"path":"/api/resources/res1/scopes/s1","params":{"scopeId":"S","resourceId":"R"}`, `"/resources/:resourceId/scopes/:scopeId"`, `{"scopeId":"S","resourceId":"R"}`},
		{"route_without_matching_path", `"path":"/somewhere/else","matchedRoute":"/resources/:resourceId/scopes/:scopeId"`, `"/resources/:resourceId/scopes/:scopeId"`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := mapBody(t, `{"type":"managementApi","method":"PATCH","status":200,`+tt.record+`}`)
			if len(events) != 1 || events[0].Event != webhook.ScopeDataUpdated {
				t.Fatalf("events = %v, want [Scope.Data.Updated]", eventNames(events))
			}
			if got := field(t, events[0].Payload, "matchedRoute"); string(got) != tt.wantRoute {
				t.Errorf("matchedRoute = %s, want %s", got, tt.wantRoute)
			}
			if got := field(t, events[0].Payload, "params"); string(got) != tt.wantParams {
				t.Errorf("params = %s, want %s", got, tt.wantParams)
			}
		})
	}
	// A given matchedRoute outside the table fires nothing even if path matches one.
	if events := mapBody(t, `{"type":"managementApi","method":"PATCH","path":"/users/u1","matchedRoute":"/users/:userId/mfa","status":200}`); len(events) != 0 {
		t.Errorf("unregistered matchedRoute: events %v, want none", eventNames(events))
	}
}

func TestMembershipDelta(t *testing.T) {
	ids := make([]string, 6000)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
	}
	list, _ := json.Marshal(ids)
	events := mapBody(t, `{"type":"managementApi","method":"PUT","path":"/organizations/o1/users","status":204,"addedUserIds":`+string(list)+`,"removedUserIds":[],"addedApplicationIds":["a1"]}`)
	var p struct {
		OrganizationID  string   `json:"organizationId"`
		AddedUserIDs    []string `json:"addedUserIds"`
		RemovedUserIDs  *[]string
		AddedApps       []string `json:"addedApplicationIds"`
		RemovedAppsJSON json.RawMessage
	}
	if err := json.Unmarshal(events[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.AddedUserIDs) != mapping.MembershipDeltaCap || p.AddedUserIDs[4999] != "u4999" {
		t.Errorf("addedUserIds has %d ids (last %q), want the first %d", len(p.AddedUserIDs), p.AddedUserIDs[len(p.AddedUserIDs)-1], mapping.MembershipDeltaCap)
	}
	for _, absent := range []string{"removedUserIds", "removedApplicationIds"} {
		if field(t, events[0].Payload, absent) != nil {
			t.Errorf("%s present, want omitted when empty", absent)
		}
	}
	if p.OrganizationID != "o1" || len(p.AddedApps) != 1 {
		t.Errorf("organizationId %q, addedApplicationIds %v; want o1, [a1]", p.OrganizationID, p.AddedApps)
	}
}

func TestConditionalEvents(t *testing.T) {
	tests := []struct {
		name, body string
		want       []webhook.Event
	}{
		{"roles_without_scope_ids", `{"type":"managementApi","method":"POST","path":"/roles","status":200,"requestBody":{"name":"x"},"responseBody":{"id":"r1"}}`, []webhook.Event{webhook.RoleCreated}},
		{"roles_with_empty_scope_ids", `{"type":"managementApi","method":"POST","path":"/roles","status":200,"requestBody":{"name":"x","scopeIds":[]},"responseBody":{"id":"r1"}}`, []webhook.Event{webhook.RoleCreated}},
		{"roles_failed", `{"type":"managementApi","method":"POST","path":"/roles","status":422,"requestBody":{"scopeIds":["s1"]},"scopes":[]}`, nil},
		{"org_roles_with_empty_arrays", `{"type":"managementApi","method":"POST","path":"/organization-roles","status":201,"requestBody":{"organizationScopeIds":[],"resourceScopeIds":[]},"responseBody":{"id":"or1"}}`, []webhook.Event{webhook.OrganizationRoleCreated}},
		{"org_roles_with_org_scopes", `{"type":"managementApi","method":"POST","path":"/organization-roles","status":201,"requestBody":{"organizationScopeIds":["os1"]},"responseBody":{"id":"or1"}}`, []webhook.Event{webhook.OrganizationRoleScopesUpdated, webhook.OrganizationRoleCreated}},
		{"invitation_revoked", `{"type":"managementApi","method":"PUT","path":"/organization-invitations/i1/status","status":200,"requestBody":{"status":"Revoked"},"organizationId":"o1"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mapBody(t, tt.body); !sameEvents(got, tt.want...) {
				t.Errorf("events = %v, want %v", eventNames(got), tt.want)
			}
		})
	}
}

func TestMapErrors(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"roles_scopes_missing", `{"type":"managementApi","method":"POST","path":"/roles","status":200,"requestBody":{"scopeIds":["s1"]},"responseBody":{"id":"r1"}}`, "scopes"},
		{"roles_id_missing", `{"type":"managementApi","method":"POST","path":"/roles","status":200,"requestBody":{"scopeIds":["s1"]},"scopes":[]}`, "responseBody"},
		{"org_roles_id_missing", `{"type":"managementApi","method":"POST","path":"/organization-roles","status":201,"requestBody":{"resourceScopeIds":["s1"]}}`, "responseBody"},
		{"delete_user_without_data", `{"type":"managementApi","method":"DELETE","path":"/users/u1","status":204}`, "data"},
		{"logto_configs_without_data", `{"type":"managementApi","method":"PATCH","path":"/users/u1/logto-configs","status":200,"responseBody":{"mfa":{}}}`, "data"},
		{"trusted_device_without_data", `{"type":"managementApi","method":"DELETE","path":"/users/u1/trusted-devices/t1","status":204}`, "data"},
		{"invitation_without_org", `{"type":"managementApi","method":"PUT","path":"/organization-invitations/i1/status","status":200,"requestBody":{"status":"Accepted"}}`, "organizationId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"records":[{"type":"event","event":"Identifier.Lockout"},` + tt.body + `]}`
			records, err := ingest.DecodeRequest([]byte(body))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			_, err = ingest.MapAll(records, testNow)
			var fe *webhook.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *webhook.FieldError", err)
			}
			if fe.Record != 1 || fe.Field != tt.field {
				t.Errorf("error at records[%d].%s (%v), want records[1].%s", fe.Record, fe.Field, err, tt.field)
			}
		})
	}
}

func TestEventIDs(t *testing.T) {
	body := `{"type":"interaction","id":"op-1","interactionEvent":"Register","userId":"u1","user":{"id":"u1"}}`
	a, b := mapBody(t, body), mapBody(t, body)
	for i := range a {
		if a[i].ID != b[i].ID || a[i].ID != webhook.EventID("op-1", a[i].Event) {
			t.Errorf("event %d: ids %s and %s, want both %s", i, a[i].ID, b[i].ID, webhook.EventID("op-1", a[i].Event))
		}
	}
	if a[0].ID == a[1].ID {
		t.Errorf("two events of one record share id %s", a[0].ID)
	}
	anon := `{"type":"event","event":"Identifier.Lockout"}`
	x, y := mapBody(t, anon), mapBody(t, anon)
	if x[0].ID == y[0].ID || !strings.HasPrefix(x[0].ID, "evt_") {
		t.Errorf("records without id: ids %s and %s, want distinct evt_ ids", x[0].ID, y[0].ID)
	}
	m := mapping.Mapper{Now: func() time.Time { return testNow }, NewID: func() string { return "evt_fixed" }}
	records, _ := ingest.DecodeRequest([]byte(anon))
	got, err := ingest.Map(m, records)
	if err != nil || got[0].ID != "evt_fixed" {
		t.Errorf("injected id source: got %v, %v; want evt_fixed", got, err)
	}
}

func TestCreatedAt(t *testing.T) {
	tests := []struct{ given, want string }{
		{``, `"2026-08-21T12:00:00.000Z"`},
		{`,"createdAt":1755777600123`, `"2025-08-21T12:00:00.123Z"`},
		{`,"createdAt":"2026-08-21T14:00:00.123456+02:00"`, `"2026-08-21T12:00:00.123Z"`},
		{`,"createdAt":"2026-08-21T12:00:00Z"`, `"2026-08-21T12:00:00.000Z"`},
	}
	for _, tt := range tests {
		events := mapBody(t, `{"type":"event","event":"Identifier.Lockout"`+tt.given+`}`)
		if got := field(t, events[0].Payload, "createdAt"); string(got) != tt.want {
			t.Errorf("createdAt%s: got %s, want %s", tt.given, got, tt.want)
		}
	}
}

func TestTestPayload(t *testing.T) {
	for _, e := range []webhook.Event{webhook.PostSignIn, webhook.UserCreated, webhook.IdentifierLockout} {
		t.Run(string(e), func(t *testing.T) {
			got := mapping.TestPayload(e, testNow.Add(456*time.Millisecond))
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			checkGolden(t, "test_payload_"+strings.ReplaceAll(string(e), ".", "_"), append(got, '\n'))
		})
	}
}
