package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// printHook prints one hook as aligned fields; showKey adds the signing key and
// its Standard Webhooks secret.
func printHook(w io.Writer, h management.HookJSON, showKey bool) error {
	tw := newTable(w)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("ID", h.ID)
	row("Name", cmp.Or(h.Name, "-"))
	row("URL", h.Config.URL)
	row("Events", eventsText(h.Events, false))
	keys := make([]string, 0, len(h.Config.Headers))
	for k := range h.Config.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		label := ""
		if i == 0 {
			label = "Headers"
		}
		row(label, k+": "+h.Config.Headers[k])
	}
	if h.Config.Retries != nil {
		row("Retries", fmt.Sprint(*h.Config.Retries))
	}
	if h.Config.TimeoutMs > 0 {
		row("Timeout", (time.Duration(h.Config.TimeoutMs) * time.Millisecond).String())
	}
	enabled := "yes"
	if !h.Enabled {
		enabled = "no"
		if h.DisabledReason != "" {
			enabled += " (" + h.DisabledReason + ")"
		}
	}
	row("Enabled", enabled)
	if h.Config.MaxInFlight > 0 {
		row("Max in flight", fmt.Sprint(h.Config.MaxInFlight))
	}
	if c := h.Circuit; c != nil {
		row("Circuit", fmt.Sprintf("%s until %s: %s", c.State, formatMillis(c.OpenUntil), c.Reason))
	}
	row("Created", formatMillis(h.CreatedAt))
	if showKey {
		row("Signing key", h.SigningKey)
		row("Standard Webhooks secret", signature.Secret(h.SigningKey))
	}
	if h.PreviousKeyExpiresAt > 0 {
		row("Previous key valid until", formatMillis(h.PreviousKeyExpiresAt))
	}
	if s := h.ExecutionStats; s != nil {
		row("Last 24 h", statsText(*s))
	}
	return tw.Flush()
}

// printHookList prints hooks as a table, or how to create one when there are
// none in where.
func printHookList(w io.Writer, hooks []management.HookJSON, where string) error {
	if len(hooks) == 0 {
		_, err := fmt.Fprintf(w, "No hooks in %s. Create one with: webhooks hooks create --url URL --events User.Created\n", where)
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tNAME\tENABLED\tEVENTS\tURL\tLAST 24 H")
	for _, h := range hooks {
		enabled := "yes"
		if !h.Enabled {
			enabled = "no"
		}
		stats := "-"
		if h.ExecutionStats != nil {
			stats = fmt.Sprintf("%d/%d ok", h.ExecutionStats.SuccessCount, h.ExecutionStats.RequestCount)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, cmp.Or(h.Name, "-"), enabled, eventsText(h.Events, true), h.Config.URL, stats)
	}
	return tw.Flush()
}

// printRotated prints a hook's new signing key and how long its previous key
// still signs.
func printRotated(w io.Writer, h management.HookJSON) error {
	fmt.Fprintf(w, "New signing key of hook %s: %s\nStandard Webhooks secret: %s\n", h.ID, h.SigningKey, signature.Secret(h.SigningKey))
	if h.PreviousKeyExpiresAt > 0 {
		fmt.Fprintf(w, "The previous key also signs webhook-signature until %s.\n", formatMillis(h.PreviousKeyExpiresAt))
	} else {
		fmt.Fprintln(w, "The previous key no longer signs anything.")
	}
	return nil
}

// eventsText shows a hook's events; short shortens long lists for tables.
func eventsText(events []webhook.Event, short bool) string {
	if len(events) == len(webhook.Catalog()) {
		return fmt.Sprintf("all %d events", len(events))
	}
	if short && len(events) > 2 {
		return fmt.Sprintf("%s,%s +%d", events[0], events[1], len(events)-2)
	}
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return strings.Join(names, ",")
}

func statsText(s webhook.Stats) string {
	return fmt.Sprintf("%d requests, %d succeeded", s.RequestCount, s.SuccessCount)
}
