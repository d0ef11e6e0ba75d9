// Package config reads the functions' settings from the environment. The names
// are constants because template.yaml must set every one of them; a test reads the
// template and checks it against Ingest and Delivery.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variable names.
const (
	EnvHooksTable       = "HOOKS_TABLE"
	EnvDeliveriesTable  = "DELIVERIES_TABLE"
	EnvQueueURL         = "QUEUE_URL"
	EnvHookCacheTTL     = "HOOK_CACHE_TTL"
	EnvRetrySchedule    = "RETRY_SCHEDULE"
	EnvDeliveryTimeout  = "DELIVERY_TIMEOUT"
	EnvDeliveryLogTTL   = "DELIVERY_LOG_TTL"
	EnvAllowPrivate     = "ALLOW_PRIVATE_CIDRS"
	EnvUserAgent        = "USER_AGENT"
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	EnvLogLevel         = "LOG_LEVEL"
	EnvBatchConcurrency = "BATCH_CONCURRENCY"
	EnvDLQURL           = "DLQ_URL"
	EnvSlowQueueURL     = "SLOW_QUEUE_URL"
	EnvHookMaxInFlight  = "HOOK_MAX_IN_FLIGHT"
	// The ingest limits (ingest.Limits; docs/fanout.md).
	EnvMaxDeliveries      = "MAX_DELIVERIES_PER_REQUEST"
	EnvMaxJobBytes        = "MAX_JOB_BYTES"
	EnvMaxRequestJobBytes = "MAX_JOB_BYTES_PER_REQUEST"
	// The relay (docs/logto-relay.md): the sources table (unset: the relay
	// knows no source) and the replay window on createdAt.
	EnvSourcesTable      = "SOURCES_TABLE"
	EnvRelayReplayWindow = "RELAY_REPLAY_WINDOW"
)

// IngestVars and DeliveryVars list the variables each function reads, for the
// template cross-link test.
var (
	IngestVars = []string{EnvHooksTable, EnvQueueURL, EnvHookCacheTTL, EnvMetricsNamespace, EnvLogLevel,
		EnvMaxDeliveries, EnvMaxJobBytes, EnvMaxRequestJobBytes, EnvSourcesTable, EnvRelayReplayWindow}
	DeliveryVars = []string{EnvHooksTable, EnvDeliveriesTable, EnvQueueURL, EnvHookCacheTTL, EnvRetrySchedule,
		EnvDeliveryTimeout, EnvDeliveryLogTTL, EnvAllowPrivate, EnvUserAgent, EnvMetricsNamespace, EnvLogLevel, EnvBatchConcurrency,
		EnvDLQURL, EnvHookMaxInFlight, EnvSlowQueueURL}
)

// Env reads variables and collects every problem, so a misconfigured function
// reports all of them in one cold start instead of one per deploy.
type Env struct {
	lookup func(string) (string, bool)
	errs   []string
}

// FromOS reads the process environment.
func FromOS() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads m; for tests.
func FromMap(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

// Required returns a non-empty variable.
func (e *Env) Required(name string) string {
	v, _ := e.lookup(name)
	if strings.TrimSpace(v) == "" {
		e.errs = append(e.errs, name+" is required")
	}
	return strings.TrimSpace(v)
}

// String returns a variable or def when unset or empty.
func (e *Env) String(name, def string) string {
	if v, ok := e.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// Duration parses a Go duration ("10s", "336h").
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := e.String(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.errs = append(e.errs, fmt.Sprintf("%s=%q is not a duration such as 10s", name, v))
		return def
	}
	return d
}

// Int parses a positive integer.
func (e *Env) Int(name string, def int) int {
	v := e.String(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Sprintf("%s=%q is not a positive integer", name, v))
		return def
	}
	return n
}

// Parse applies parse to a variable's value when set, recording its error.
func Parse[T any](e *Env, name string, def T, parse func(string) (T, error)) T {
	v := e.String(name, "")
	if v == "" {
		return def
	}
	t, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Sprintf("%s: %v", name, err))
		return def
	}
	return t
}

// Err returns every problem found, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %s", strings.Join(e.errs, "; "))
}

// LogLevel parses LOG_LEVEL (debug, info, warn, error; default info).
func (e *Env) LogLevel() slog.Level {
	var l slog.Level
	v := e.String(EnvLogLevel, "info")
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.errs = append(e.errs, fmt.Sprintf("%s=%q is not one of debug, info, warn, error", EnvLogLevel, v))
		return slog.LevelInfo
	}
	return l
}

// Logger returns the functions' logger: JSON lines on stderr at LOG_LEVEL, which
// Lambda's JSON log format passes through unchanged.
func (e *Env) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: e.LogLevel()}))
}
