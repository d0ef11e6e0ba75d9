package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/ingest"
)

func TestLoadDeliveryDefaults(t *testing.T) {
	env := config.FromMap(map[string]string{
		config.EnvHooksTable: "hooks", config.EnvDeliveriesTable: "log", config.EnvQueueURL: "http://q",
		config.EnvDLQURL: "http://dlq",
	})
	d := config.LoadDelivery(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if d.Schedule.String() != delivery.DefaultSchedule.String() || d.Concurrency != 10 ||
		d.Sender.Timeout != 10*time.Second || d.LogTTL != 14*24*time.Hour || len(d.Sender.Policy.AllowPrivate) != 0 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestLoadDeliveryReportsEveryProblem(t *testing.T) {
	env := config.FromMap(map[string]string{
		config.EnvQueueURL:         "http://q",
		config.EnvRetrySchedule:    "5s,1m",
		config.EnvDeliveryTimeout:  "ten seconds",
		config.EnvAllowPrivate:     "not-a-cidr",
		config.EnvBatchConcurrency: "0",
		config.EnvLogLevel:         "loud",
	})
	config.LoadDelivery(env)
	env.Logger()
	err := env.Err()
	if err == nil {
		t.Fatal("no error for a broken environment")
	}
	for _, name := range []string{config.EnvHooksTable, config.EnvDeliveriesTable, config.EnvRetrySchedule,
		config.EnvDeliveryTimeout, config.EnvAllowPrivate, config.EnvBatchConcurrency, config.EnvLogLevel} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadIngest(t *testing.T) {
	env := config.FromMap(map[string]string{config.EnvHooksTable: "hooks", config.EnvQueueURL: "http://q", config.EnvHookCacheTTL: "2s"})
	in := config.LoadIngest(env)
	if err := env.Err(); err != nil || in.HookCacheTTL != 2*time.Second || in.HooksTable != "hooks" {
		t.Errorf("LoadIngest = %+v, %v", in, err)
	}
}

func TestLoadIngestLimits(t *testing.T) {
	env := config.FromMap(map[string]string{config.EnvHooksTable: "hooks", config.EnvQueueURL: "http://q"})
	in := config.LoadIngest(env)
	want := ingest.Limits{MaxDeliveries: ingest.DefaultMaxDeliveries, MaxJobBytes: ingest.DefaultMaxJobBytes, MaxRequestJobBytes: ingest.DefaultMaxRequestJobBytes}
	if err := env.Err(); err != nil || in.Limits != want {
		t.Errorf("default limits = %+v, %v; want %+v", in.Limits, err, want)
	}
	env = config.FromMap(map[string]string{config.EnvHooksTable: "hooks", config.EnvQueueURL: "http://q",
		config.EnvMaxDeliveries: "20000", config.EnvMaxJobBytes: "1048576", config.EnvMaxRequestJobBytes: "many"})
	in = config.LoadIngest(env)
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), config.EnvMaxRequestJobBytes) ||
		in.Limits.MaxDeliveries != 20000 || in.Limits.MaxJobBytes != 1<<20 {
		t.Errorf("LoadIngest = %+v, %v; want the set limits and an error naming %s", in.Limits, err, config.EnvMaxRequestJobBytes)
	}
}
