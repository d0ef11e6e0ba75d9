package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SendTest returns management.Config.SendTest over p: it POSTs Logto's test
// payload of the event (mapping.TestPayload, hookId appended as in every
// delivery) to url with the given custom headers, signed with the hook's keys
// exactly as a delivery is, and reports the response. The delivery id is fresh
// each time, so receivers that dedupe still see every test. Tests are not queued,
// retried or logged, as in Logto.
func SendTest(p delivery.Poster, now func() time.Time) func(ctx context.Context, hook webhook.Hook, url string, headers map[string]string, e webhook.Event) (int, string, error) {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, hook webhook.Hook, url string, headers map[string]string, e webhook.Event) (int, string, error) {
		t := now()
		job := webhook.Job{
			Version: webhook.JobVersion,
			EventID: webhook.RandomEventID(),
			Event:   e,
			HookID:  hook.ID,
			Payload: mapping.TestPayload(e, t),
		}
		job.DeliveryID = webhook.DeliveryID(job.EventID, hook.ID)
		body := job.Body()
		header := make(http.Header, len(headers)+4)
		for k, v := range headers {
			header.Set(k, v)
		}
		signature.Sign(header, hook.SigningKeys(t), job.DeliveryID, t, body)
		resp, err := p.Post(ctx, delivery.Request{URL: url, Header: header, Body: body, Timeout: hook.Timeout(0)})
		if err != nil {
			return 0, "", err
		}
		return resp.Status, string(resp.Body), nil
	}
}

// CheckURL returns management.Config.CheckURL for policy: the SSRF check of
// the delivery package, whose refusals end with a hint on how to allow a local
// receiver; how names what to do ("start webhooks dev with --allow-private").
func CheckURL(policy delivery.Policy, how string) func(ctx context.Context, rawURL string) error {
	return func(ctx context.Context, rawURL string) error {
		err := policy.CheckURL(ctx, rawURL, nil)
		if !errors.Is(err, delivery.ErrForbiddenDestination) {
			return err
		}
		example := "127.0.0.1/32"
		if u, perr := url.Parse(rawURL); perr == nil {
			if ip, perr := netip.ParseAddr(u.Hostname()); perr == nil {
				example = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()).String()
			}
		}
		return fmt.Errorf("%w (for a receiver on your own machine or network, %s %s)", err, how, example)
	}
}
