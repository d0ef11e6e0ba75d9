package mapping_test

import (
	"testing"

	"github.com/logto-webhooks/webhooks/shared/ingest"
)

// benchRecords are one record of each common shape: a Management API call whose
// response becomes the payload's data, and a sign-up interaction that fires two
// events and reduces the user to Logto's whitelist.
var benchRecords = []struct{ name, body string }{
	{"management", `{"type":"managementApi","id":"req-1","method":"PATCH","path":"/api/users/u1","status":200,"ip":"203.0.113.5","userAgent":"curl/8.5.0",
		"requestBody":{"name":"Alice"},"responseBody":{"id":"u1","username":"alice","primaryEmail":"a@example.com","primaryPhone":null,"name":"Alice","avatar":null,"customData":{},"identities":{},"lastSignInAt":1755777600000,"createdAt":1755777600000,"updatedAt":1755777600000,"profile":{},"applicationId":"app1","isSuspended":false}}`},
	{"interaction", `{"type":"interaction","id":"ix-1","interactionEvent":"Register","sessionId":"sess1","userId":"u1","ip":"198.51.100.7","userAgent":"Mozilla/5.0",
		"user":{"id":"u1","username":"alice","passwordEncrypted":"$argon2i$secret","primaryEmail":"a@example.com","primaryPhone":null,"name":null,"avatar":null,"customData":{},"identities":{},"lastSignInAt":1755777600000,"createdAt":1755777600000,"updatedAt":1755777600000,"profile":{},"applicationId":"app1","isSuspended":false,"mfaVerifications":[]},
		"application":{"id":"app1","type":"SPA","name":"My app","description":null,"secret":"app-secret","oidcClientMetadata":{"redirectUris":[]}}}`},
}

// BenchmarkMap measures mapping one decoded record to its events and payloads,
// the per-record CPU cost of ingest once the request is parsed.
func BenchmarkMap(b *testing.B) {
	for _, bb := range benchRecords {
		records, err := ingest.DecodeRequest([]byte(bb.body))
		if err != nil {
			b.Fatalf("%s: DecodeRequest: %v", bb.name, err)
		}
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ingest.MapAll(records[:1], testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeAndMap measures the whole per-record ingest CPU path: decoding
// and validating the request body, then mapping it.
func BenchmarkDecodeAndMap(b *testing.B) {
	for _, bb := range benchRecords {
		body := []byte(bb.body)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				records, err := ingest.DecodeRequest(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ingest.MapAll(records, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
