package management

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"

	"github.com/logto-webhooks/webhooks/shared/delivery"
)

// CheckDestination returns a Config.CheckURL for policy: the SSRF check of the
// delivery package, whose refusals end with a hint on how to allow a local
// receiver; how names what to do ("start webhooks dev with --allow-private").
func CheckDestination(policy delivery.Policy, how string) func(ctx context.Context, rawURL string) error {
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
