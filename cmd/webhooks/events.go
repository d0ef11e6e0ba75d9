package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List events and map ingest records to events",
	}
	cmd.AddCommand(newEventsListCmd(), newEventsMapCmd())
	return cmd
}

func newEventsListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the 31 Logto events a hook can subscribe to, with their groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if asJSON {
				b, err := json.MarshalIndent(webhook.Catalog(), "", "  ")
				if err != nil {
					return fmt.Errorf("encode events: %w", err)
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			}
			w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "EVENT\tGROUP")
			for _, e := range webhook.Catalog() {
				fmt.Fprintf(w, "%s\t%s\n", e.Event, e.Group)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print a JSON array of {"event","group"}`)
	return cmd
}

func newEventsMapCmd() *cobra.Command {
	var now string
	cmd := &cobra.Command{
		Use:   "map [FILE|-]",
		Short: "Map ingest records to the events and payloads they produce, without delivering",
		Long: `Map reads an ingest request ({"records":[...]} or one record) from FILE, or from
stdin when FILE is "-" or absent, validates all of it as POST /events would, and
prints one JSON line per event: {"id":"evt_…","event":"…","payload":{…}}. The payload
is byte for byte what receivers get, minus the "hookId" appended at delivery.
Invalid input prints nothing on stdout and exits with status 1.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now()
			if now != "" {
				t, err := time.Parse(time.RFC3339Nano, now)
				if err != nil {
					return fmt.Errorf("--now %q is not an RFC 3339 time", now)
				}
				at = t
			}
			body, err := readInput(cmd, args)
			if err != nil {
				return err
			}
			records, err := ingest.DecodeRequest(body)
			if err != nil {
				return recordError(err)
			}
			events, err := ingest.MapAll(records, at)
			if err != nil {
				return recordError(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep the payload bytes exactly as built
			for _, e := range events {
				if err := enc.Encode(e); err != nil {
					return fmt.Errorf("encode event %s: %w", e.ID, err)
				}
			}
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "the time of records without createdAt (RFC 3339), for reproducible output")
	return cmd
}

// readInput reads the request body from the file argument or stdin, refusing
// more than an ingest request may hold.
func readInput(cmd *cobra.Command, args []string) ([]byte, error) {
	var r io.Reader = cmd.InOrStdin()
	name := "stdin"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		defer f.Close()
		r, name = f, args[0]
	}
	body, err := io.ReadAll(io.LimitReader(r, webhook.MaxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read records from %s: %w", name, err)
	}
	return body, nil
}

// recordError makes a one-line error naming the record, field and reason.
func recordError(err error) error {
	var fe *webhook.FieldError
	if errors.As(err, &fe) && fe.Record >= 0 && fe.Field == "" {
		return fmt.Errorf("records[%d]: %s", fe.Record, fe.Reason)
	}
	return err
}
