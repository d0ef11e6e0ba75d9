package delivery

import (
	"context"
	"net/http"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Attempt sends body to h once, as every delivery is sent: h's custom headers,
// then the Logto and Standard Webhooks signatures by the keys h signs with at now
// (both during a rotation's grace), POSTed through p within h's timeout or
// defaultTimeout. Deliveries and test sends share it, so a test proves what a
// delivery will do. It returns the response, or an error when none arrived (see
// Poster).
func Attempt(ctx context.Context, p Poster, h *webhook.Hook, deliveryID string, body []byte, now time.Time, defaultTimeout time.Duration) (Response, error) {
	header := make(http.Header, len(h.Headers)+4)
	for k, v := range h.Headers {
		header.Set(k, v)
	}
	signature.Sign(header, h.SigningKeys(now), deliveryID, now, body)
	return p.Post(ctx, Request{URL: h.URL, Header: header, Body: body, Timeout: h.Timeout(defaultTimeout)})
}
