package backend_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/logto-webhooks/webhooks/shared/backend"
)

// TestOpenAWSNeeds checks that only the stores asked for are opened and that
// a missing name is an error naming the flag (and the stack output).
func TestOpenAWSNeeds(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	b, err := backend.OpenAWS(cfg, backend.AWS{HooksTable: "hooks"}, backend.NeedHooks|backend.WantLog)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hooks == nil || b.Log != nil || b.Queue != nil || b.Dead != nil || b.Where != "AWS" {
		t.Errorf("hooks only (no deliveries table for WantLog): %+v", b)
	}
	b, err = backend.OpenAWS(cfg, backend.AWS{Stack: "prod", Outputs: map[string]string{
		backend.OutHooksTable: "h", backend.OutDeliveriesTable: "d", backend.OutQueueURL: "q", backend.OutDLQURL: "dlq",
	}}, backend.NeedAll)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hooks == nil || b.Log == nil || b.Queue == nil || b.Dead == nil || b.Where != "stack prod" {
		t.Errorf("all from the stack's outputs: %+v", b)
	}
	for _, tc := range []struct {
		a    backend.AWS
		n    backend.Need
		want string
	}{
		{backend.AWS{}, backend.NeedHooks, "--hooks-table"},
		{backend.AWS{HooksTable: "h"}, backend.NeedDead, "--queue-url"},
		{backend.AWS{QueueURL: "q"}, backend.NeedDead, "--dlq-url"},
		{backend.AWS{Stack: "prod", Outputs: map[string]string{}}, backend.NeedLog, "stack prod has no output DeliveriesTableName; pass --deliveries-table"},
	} {
		_, err := backend.OpenAWS(cfg, tc.a, tc.n)
		if !errors.Is(err, backend.ErrMissing) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenAWS(%+v, %d) = %v; want ErrMissing naming %s", tc.a, tc.n, err, tc.want)
		}
	}
}

// TestOpenAWSSources checks that WantSources opens the sources table only
// when the stack has one, and carries the stack's RelayUrl with it, so the
// console can show the URL to paste into Logto.
func TestOpenAWSSources(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	b, err := backend.OpenAWS(cfg, backend.AWS{Stack: "old", Outputs: map[string]string{backend.OutHooksTable: "h"}},
		backend.NeedHooks|backend.WantSources)
	if err != nil || b.Sources != nil || b.RelayURL != "" {
		t.Errorf("a stack without a sources table: %+v, %v", b, err)
	}
	b, err = backend.OpenAWS(cfg, backend.AWS{Stack: "prod", Outputs: map[string]string{backend.OutHooksTable: "h",
		backend.OutSourcesTable: "s", backend.OutRelayURL: "https://api.example.com/logto"}}, backend.NeedHooks|backend.WantSources)
	if err != nil || b.Sources == nil || b.RelayURL != "https://api.example.com/logto" {
		t.Errorf("a stack with sources: %+v, %v", b, err)
	}
}
