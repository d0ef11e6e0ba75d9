package webhook

import (
	"fmt"
	"strings"
)

// Event is the name of a Logto webhook event, such as "User.Created".
type Event string

// Group is the kind of an event as Logto sorts them.
type Group string

// The three event groups of Logto (packages/schemas/src/foundations/jsonb-types/hooks.ts).
const (
	GroupInteraction Group = "interaction"
	GroupData        Group = "data"
	GroupException   Group = "exception"
)

// The 31 registrable Logto events, in Logto's declaration order.
const (
	PostRegister                   Event = "PostRegister"
	PostSignIn                     Event = "PostSignIn"
	PostSignInAdaptiveMfaTriggered Event = "PostSignInAdaptiveMfaTriggered"
	PostResetPassword              Event = "PostResetPassword"

	UserCreated                   Event = "User.Created"
	UserDeleted                   Event = "User.Deleted"
	UserDataUpdated               Event = "User.Data.Updated"
	UserSuspensionStatusUpdated   Event = "User.SuspensionStatus.Updated"
	TrustedDeviceCreated          Event = "TrustedDevice.Created"
	TrustedDeviceDeleted          Event = "TrustedDevice.Deleted"
	RoleCreated                   Event = "Role.Created"
	RoleDeleted                   Event = "Role.Deleted"
	RoleDataUpdated               Event = "Role.Data.Updated"
	RoleScopesUpdated             Event = "Role.Scopes.Updated"
	ScopeCreated                  Event = "Scope.Created"
	ScopeDeleted                  Event = "Scope.Deleted"
	ScopeDataUpdated              Event = "Scope.Data.Updated"
	OrganizationCreated           Event = "Organization.Created"
	OrganizationDeleted           Event = "Organization.Deleted"
	OrganizationDataUpdated       Event = "Organization.Data.Updated"
	OrganizationMembershipUpdated Event = "Organization.Membership.Updated"
	OrganizationRoleCreated       Event = "OrganizationRole.Created"
	OrganizationRoleDeleted       Event = "OrganizationRole.Deleted"
	OrganizationRoleDataUpdated   Event = "OrganizationRole.Data.Updated"
	OrganizationRoleScopesUpdated Event = "OrganizationRole.Scopes.Updated"
	OrganizationScopeCreated      Event = "OrganizationScope.Created"
	OrganizationScopeDeleted      Event = "OrganizationScope.Deleted"
	OrganizationScopeDataUpdated  Event = "OrganizationScope.Data.Updated"

	IdentifierLockout  Event = "Identifier.Lockout"
	MessageRateLimited Event = "Message.RateLimited"
	GrantLimitExceeded Event = "Grant.LimitExceeded"
)

// EventInfo describes one catalog entry.
type EventInfo struct {
	Event Event `json:"event"`
	Group Group `json:"group"`
}

var catalog = []EventInfo{
	{PostRegister, GroupInteraction},
	{PostSignIn, GroupInteraction},
	{PostSignInAdaptiveMfaTriggered, GroupInteraction},
	{PostResetPassword, GroupInteraction},
	{UserCreated, GroupData},
	{UserDeleted, GroupData},
	{UserDataUpdated, GroupData},
	{UserSuspensionStatusUpdated, GroupData},
	// Logto fires TrustedDevice.* only with its dev features on; we accept them
	// always: a producer that reports them runs such a Logto.
	{TrustedDeviceCreated, GroupData},
	{TrustedDeviceDeleted, GroupData},
	{RoleCreated, GroupData},
	{RoleDeleted, GroupData},
	{RoleDataUpdated, GroupData},
	{RoleScopesUpdated, GroupData},
	{ScopeCreated, GroupData},
	{ScopeDeleted, GroupData},
	{ScopeDataUpdated, GroupData},
	{OrganizationCreated, GroupData},
	{OrganizationDeleted, GroupData},
	{OrganizationDataUpdated, GroupData},
	{OrganizationMembershipUpdated, GroupData},
	{OrganizationRoleCreated, GroupData},
	{OrganizationRoleDeleted, GroupData},
	{OrganizationRoleDataUpdated, GroupData},
	{OrganizationRoleScopesUpdated, GroupData},
	{OrganizationScopeCreated, GroupData},
	{OrganizationScopeDeleted, GroupData},
	{OrganizationScopeDataUpdated, GroupData},
	{IdentifierLockout, GroupException},
	{MessageRateLimited, GroupException},
	{GrantLimitExceeded, GroupException},
}

var byName = func() map[Event]EventInfo {
	m := make(map[Event]EventInfo, len(catalog))
	for _, e := range catalog {
		m[e.Event] = e
	}
	return m
}()

// Catalog returns every event in Logto's declaration order. The slice is a copy.
func Catalog() []EventInfo {
	return append([]EventInfo(nil), catalog...)
}

// Info returns the catalog entry of e and whether e is a known event.
func (e Event) Info() (EventInfo, bool) {
	info, ok := byName[e]
	return info, ok
}

// Valid reports whether e is one of the 31 Logto events.
func (e Event) Valid() bool {
	_, ok := byName[e]
	return ok
}

// Group returns the group of e, or "" for an unknown event.
func (e Event) Group() Group {
	return byName[e].Group
}

// ParseEvent returns the event named s. Names are case-sensitive, as in Logto; an
// unknown name gives an error suggesting the closest valid name, so a typo such as
// "User.Updated" (the pre-1.17 name) points at "User.Data.Updated".
func ParseEvent(s string) (Event, error) {
	e := Event(s)
	if e.Valid() {
		return e, nil
	}
	if s == "" {
		return "", fmt.Errorf("event name is empty")
	}
	if near := Closest(s); near != "" {
		return "", fmt.Errorf("unknown event %q (did you mean %q?)", s, near)
	}
	return "", fmt.Errorf("unknown event %q (run `webhooks events list`)", s)
}

// Closest returns the catalog event nearest to s by edit distance (ignoring case),
// or "" when nothing is reasonably close.
func Closest(s string) Event {
	// Logto 1.17 renamed X.Updated to X.Data.Updated; point old names at the new.
	if base, ok := strings.CutSuffix(s, ".Updated"); ok && Event(base+".Data.Updated").Valid() {
		return Event(base + ".Data.Updated")
	}
	ls := strings.ToLower(s)
	best, bestD := Event(""), 1<<30
	for _, info := range catalog {
		name := string(info.Event)
		lname := strings.ToLower(name)
		d := levenshtein(ls, lname)
		// The legacy X.Updated names and partial names ("Lockout") are prefixes or
		// suffixes of real names; reward containment so they find their successor.
		if strings.Contains(lname, ls) || strings.Contains(ls, lname) {
			d = min(d, abs(len(lname)-len(ls))/2)
		}
		if d < bestD {
			best, bestD = info.Event, d
		}
	}
	if bestD > max(3, len(s)/2) {
		return ""
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
