package config

import (
	"net/netip"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
)

// Ingest holds the ingest function's settings.
type Ingest struct {
	HooksTable, QueueURL, MetricsNamespace string
	HookCacheTTL                           time.Duration
	Limits                                 ingest.Limits
	// SourcesTable is the relay's sources; "" leaves the relay without any.
	SourcesTable string
	ReplayWindow time.Duration
}

// LoadIngest reads the ingest function's settings; problems collect in e.Err.
func LoadIngest(e *Env) Ingest {
	return Ingest{
		HooksTable:       e.Required(EnvHooksTable),
		QueueURL:         e.Required(EnvQueueURL),
		HookCacheTTL:     e.Duration(EnvHookCacheTTL, hookcache.DefaultTTL),
		MetricsNamespace: e.String(EnvMetricsNamespace, metrics.DefaultNamespace),
		SourcesTable:     e.String(EnvSourcesTable, ""),
		ReplayWindow:     e.Duration(EnvRelayReplayWindow, ingest.DefaultReplayWindow),
		Limits: ingest.Limits{
			MaxDeliveries:      e.Int(EnvMaxDeliveries, ingest.DefaultMaxDeliveries),
			MaxJobBytes:        e.Int(EnvMaxJobBytes, ingest.DefaultMaxJobBytes),
			MaxRequestJobBytes: int64(e.Int(EnvMaxRequestJobBytes, ingest.DefaultMaxRequestJobBytes)),
		},
	}
}

// Delivery holds the delivery function's settings.
type Delivery struct {
	HooksTable, DeliveriesTable, QueueURL, DLQURL, MetricsNamespace string
	// SlowQueueURL is the slow lane's queue; "" delivers without one.
	SlowQueueURL         string
	Schedule             delivery.Schedule
	Sender               delivery.SenderConfig
	LogTTL, HookCacheTTL time.Duration
	Concurrency          int
	Isolation            delivery.IsolationConfig
}

// LoadDelivery reads the delivery function's settings; problems collect in e.Err.
func LoadDelivery(e *Env) Delivery {
	return Delivery{
		HooksTable:      e.Required(EnvHooksTable),
		DeliveriesTable: e.Required(EnvDeliveriesTable),
		QueueURL:        e.Required(EnvQueueURL),
		DLQURL:          e.Required(EnvDLQURL),
		SlowQueueURL:    e.String(EnvSlowQueueURL, ""),
		Schedule:        Parse(e, EnvRetrySchedule, delivery.DefaultSchedule, delivery.ParseSchedule),
		Sender: delivery.SenderConfig{
			Policy:    delivery.Policy{AllowPrivate: Parse(e, EnvAllowPrivate, []netip.Prefix(nil), delivery.ParseCIDRs)},
			UserAgent: e.String(EnvUserAgent, ""),
			Timeout:   e.Duration(EnvDeliveryTimeout, delivery.DefaultTimeout),
		},
		LogTTL:           e.Duration(EnvDeliveryLogTTL, dynamo.DefaultTTL),
		HookCacheTTL:     e.Duration(EnvHookCacheTTL, hookcache.DefaultTTL),
		Concurrency:      e.Int(EnvBatchConcurrency, delivery.DefaultConcurrency),
		Isolation:        delivery.IsolationConfig{MaxInFlight: e.Int(EnvHookMaxInFlight, 0)},
		MetricsNamespace: e.String(EnvMetricsNamespace, metrics.DefaultNamespace),
	}
}
