package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func newDeliveriesCmd() *cobra.Command {
	var b backendFlags
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "Read the delivery log: every attempt, with status, latency and error",
	}
	b.register(cmd)
	cmd.AddCommand(newDeliveriesListCmd(&b))
	return cmd
}

func newDeliveriesListCmd(b *backendFlags) *cobra.Command {
	var (
		hookID string
		failed bool
		since  time.Duration
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list --hook ID [--failed] [--since 24h]",
		Short: "List a hook's delivery attempts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if hookID == "" {
				return errors.New("--hook is required (webhooks hooks list shows the ids)")
			}
			if since <= 0 {
				return errors.New("--since must be positive, e.g. 24h")
			}
			return b.with(cmd, backend.NeedHooks|backend.NeedLog, func(be *backend.Backend) error {
				ctx := cmd.Context()
				entries, err := be.Log.Query(ctx, webhook.LogQuery{HookID: hookID, Since: cliNow().Add(-since), FailedOnly: failed, Limit: limit})
				if err != nil {
					return err
				}
				if len(entries) == 0 {
					// The log outlives a deleted hook; only an empty answer for an
					// unknown id is worth calling out.
					if _, err := be.Hooks.GetHook(ctx, hookID); errors.Is(err, webhook.ErrNotFound) {
						return fmt.Errorf("no hook with id %q in %s (webhooks hooks list shows the ids)", hookID, be.Where)
					}
					entries = []webhook.LogEntry{}
				}
				return printResult(cmd, asJSON, entries, func(w io.Writer) error {
					if len(entries) == 0 {
						what := "deliveries"
						if failed {
							what = "failed deliveries"
						}
						_, err := fmt.Fprintf(w, "No %s of hook %s in the last %s.\n", what, hookID, delivery.Schedule{since})
						return err
					}
					return printLogEntries(w, entries)
				})
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&hookID, "hook", "", "the hook's id (required)")
	fs.BoolVar(&failed, "failed", false, "only failed attempts")
	fs.DurationVar(&since, "since", 24*time.Hour, "how far back to look")
	fs.IntVar(&limit, "limit", 100, "at most this many attempts (0: all)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON array of log entries (with request and response bodies)")
	return cmd
}

// printLogEntries prints delivery attempts as a table.
func printLogEntries(w io.Writer, entries []webhook.LogEntry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "TIME\tEVENT\tATTEMPT\tRESULT\tSTATUS\tLATENCY\tDELIVERY ID\tERROR")
	for _, e := range entries {
		status := "-"
		if e.Status != 0 {
			status = fmt.Sprint(e.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%dms\t%s\t%s\n", formatMillis(e.CreatedAt), e.Event, e.Attempt,
			e.Result, status, e.LatencyMs, e.DeliveryID, oneLine(e.Error, 80))
	}
	return tw.Flush()
}

// oneLine flattens s and cuts it to n runes for a table cell.
func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if len(r) == 0 {
		return "-"
	}
	return string(r)
}
