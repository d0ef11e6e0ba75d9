package webhooks

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/metrics"
)

// The linters (scripts/samcheck.sh) check that template.yaml is valid; these tests
// check what they cannot: that it matches the code. The template is read as plain
// YAML because goformation drops !GetAtt and the SQS event properties.

// cfn is template.yaml decoded into maps, slices and scalars, with the short-form
// intrinsics in their long form: !Ref X is {"Ref": "X"}, !GetAtt A.B is
// {"Fn::GetAtt": ["A", "B"]}, !Sub s is {"Fn::Sub": s}, and so on.
type cfn map[string]any

func loadTemplate(t *testing.T) cfn {
	t.Helper()
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	v, err := decodeNode(&doc)
	if err != nil {
		t.Fatalf("decode template.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("template.yaml is a %T, want a mapping", v)
	}
	return m
}

func decodeNode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want exactly one document", n.Line)
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			val, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if isIntrinsic(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	if isIntrinsic(n.Tag) {
		return longForm(strings.TrimPrefix(n.Tag, "!"), v), nil
	}
	return v, nil
}

// isIntrinsic reports whether tag is a CloudFormation short form (!Ref) rather
// than a YAML core tag (!!str).
func isIntrinsic(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

func longForm(name string, v any) any {
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + name: v}
}

func ref(name string) any             { return map[string]any{"Ref": name} }
func getAtt(res, attr string) any     { return map[string]any{"Fn::GetAtt": []any{res, attr}} }
func sub(v any) (string, bool)        { s, ok := get(v, "Fn::Sub").(string); return s, ok }
func same(got, want any) bool         { return reflect.DeepEqual(got, want) }
func resourceOf(v any) (string, bool) { s, ok := get(v, "Fn::GetAtt", 0).(string); return s, ok }

// show formats a template value for a message, quoting strings so "" is visible.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// get walks maps (string keys) and slices (int indexes); nil when a step is missing.
func get(v any, path ...any) any {
	if c, ok := v.(cfn); ok {
		v = map[string]any(c)
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// list returns v as a slice; CloudFormation accepts one value where a list is allowed.
func list(v any) []any {
	if s, ok := v.([]any); ok {
		return s
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// resource returns the Properties of resource name after checking its type.
func (c cfn) resource(t *testing.T, name, typ string) map[string]any {
	t.Helper()
	r, ok := get(c, "Resources", name).(map[string]any)
	if !ok {
		t.Fatalf("template has no resource %s", name)
	}
	if got := r["Type"]; got != typ {
		t.Fatalf("%s: Type = %v, want %s", name, got, typ)
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

// fnProp returns a property of a function, or of Globals.Function as SAM merges it.
func (c cfn) fnProp(t *testing.T, fn, key string) any {
	t.Helper()
	if v, ok := c.resource(t, fn, "AWS::Serverless::Function")[key]; ok {
		return v
	}
	return get(c, "Globals", "Function", key)
}

// env returns a function's environment variables.
func (c cfn) env(t *testing.T, fn string) map[string]any {
	t.Helper()
	vars, _ := get(c.fnProp(t, fn, "Environment"), "Variables").(map[string]any)
	globals, _ := get(c, "Globals", "Function", "Environment", "Variables").(map[string]any)
	out := map[string]any{}
	for k, v := range globals {
		out[k] = v
	}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func toInt(t *testing.T, what string, v any) int {
	t.Helper()
	switch n := v.(type) {
	case int:
		return n
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	t.Fatalf("%s = %#v, want an integer literal", what, v)
	return 0
}

func literal(t *testing.T, what string, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s = %#v, want a literal string", what, v)
	}
	return s
}

// schedule returns the delivery function's retry schedule as the code parses it.
func (c cfn) schedule(t *testing.T) delivery.Schedule {
	t.Helper()
	raw := literal(t, "DeliveryFunction "+config.EnvRetrySchedule, c.env(t, "DeliveryFunction")[config.EnvRetrySchedule])
	s, err := delivery.ParseSchedule(raw)
	if err != nil {
		t.Fatalf("DeliveryFunction %s: %v", config.EnvRetrySchedule, err)
	}
	return s
}

func TestTemplateFunctionsBuildFromRootMakefile(t *testing.T) {
	c := loadTemplate(t)
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ fn, pkg string }{
		{"IngestFunction", "./functions/ingest"},
		{"DeliveryFunction", "./functions/delivery"},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			for key, want := range map[string]any{
				"Runtime":       "provided.al2023",
				"Handler":       "bootstrap",
				"Architectures": []any{"arm64"},
				"CodeUri":       ".",
			} {
				if got := c.fnProp(t, tc.fn, key); !same(got, want) {
					t.Errorf("%s = %v, want %v", key, got, want)
				}
			}
			if got := get(c, "Resources", tc.fn, "Metadata", "BuildMethod"); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
			}
			target := regexp.MustCompile(`(?m)^build-` + tc.fn + `:\n\t(.*)$`).FindSubmatch(makefile)
			if target == nil {
				t.Fatalf("Makefile has no target build-%s", tc.fn)
			}
			for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "$(ARTIFACTS_DIR)/bootstrap", tc.pkg} {
				if !strings.Contains(string(target[1]), want) {
					t.Errorf("Makefile build-%s recipe %q lacks %q", tc.fn, target[1], want)
				}
			}
			logging := c.fnProp(t, tc.fn, "LoggingConfig")
			if got := get(logging, "LogFormat"); got != "JSON" {
				t.Errorf("LoggingConfig.LogFormat = %v, want JSON", got)
			}
			group, _ := get(logging, "LogGroup", "Ref").(string)
			if group == "" {
				t.Fatalf("LoggingConfig.LogGroup = %v, want a Ref to a log group", get(logging, "LogGroup"))
			}
			if got := c.resource(t, group, "AWS::Logs::LogGroup")["RetentionInDays"]; !same(got, ref("LogRetentionDays")) {
				t.Errorf("%s.RetentionInDays = %v, want Ref LogRetentionDays", group, got)
			}
		})
	}
}

// TestTemplateEnvironment checks that each function gets exactly the variables its
// code reads (shared/config), pointing at the right resources, and that every value
// (parameter defaults included) passes the parser the code applies to it.
func TestTemplateEnvironment(t *testing.T) {
	c := loadTemplate(t)
	refs := map[string]any{
		config.EnvHooksTable:       ref("HooksTable"),
		config.EnvDeliveriesTable:  ref("DeliveriesTable"),
		config.EnvQueueURL:         ref("DeliveryQueue"),
		config.EnvDLQURL:           ref("DeliveryDLQ"),
		config.EnvHookCacheTTL:     ref("HookCacheTTL"),
		config.EnvDeliveryLogTTL:   ref("DeliveryLogTTL"),
		config.EnvUserAgent:        ref("UserAgent"),
		config.EnvMetricsNamespace: ref("MetricsNamespace"),
		config.EnvLogLevel:         ref("LogLevel"),
		// The SSRF allow-list is for local development only: never open in AWS.
		config.EnvAllowPrivate: "",
	}
	for _, tc := range []struct {
		fn   string
		vars []string
	}{
		{"IngestFunction", config.IngestVars},
		{"DeliveryFunction", config.DeliveryVars},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			env := c.env(t, tc.fn)
			resolved := map[string]string{}
			for _, name := range tc.vars {
				v, ok := env[name]
				if !ok {
					t.Errorf("%s is not set; the code reads it", name)
					continue
				}
				if want, ok := refs[name]; ok && !same(v, want) {
					t.Errorf("%s = %s, want %s", name, show(v), show(want))
				}
				resolved[name] = c.resolve(t, v)
			}
			for name := range env {
				if !slices.Contains(tc.vars, name) {
					t.Errorf("%s is set but the code does not read it", name)
				}
			}
			e := config.FromMap(resolved)
			for _, name := range []string{config.EnvHookCacheTTL, config.EnvDeliveryTimeout, config.EnvDeliveryLogTTL} {
				if _, ok := resolved[name]; ok {
					e.Duration(name, 0)
				}
			}
			for _, name := range []string{config.EnvBatchConcurrency, config.EnvMaxDeliveries, config.EnvMaxJobBytes, config.EnvMaxRequestJobBytes} {
				if _, ok := resolved[name]; ok {
					e.Int(name, 0)
				}
			}
			e.LogLevel()
			config.Parse(e, config.EnvRetrySchedule, nil, delivery.ParseSchedule)
			config.Parse(e, config.EnvAllowPrivate, nil, delivery.ParseCIDRs)
			if err := e.Err(); err != nil {
				t.Errorf("the code rejects the template's values: %v", err)
			}
		})
	}
	if got, want := get(c, "Parameters", "MetricsNamespace", "Default"), metrics.DefaultNamespace; got != want {
		t.Errorf("MetricsNamespace default = %v, want the code's %s", got, want)
	}
}

// resolve turns an environment value into what the function would see, using
// parameter defaults and placeholder names for resources.
func (c cfn) resolve(t *testing.T, v any) string {
	t.Helper()
	if name, ok := get(v, "Ref").(string); ok {
		if p, ok := get(c, "Parameters", name).(map[string]any); ok {
			return fmt.Sprint(p["Default"])
		}
		if get(c, "Resources", name) == nil {
			t.Errorf("Ref %s names neither a parameter nor a resource", name)
		}
		return "resource-" + name
	}
	return literal(t, "environment value", v)
}

func TestTemplateDeliveryQueue(t *testing.T) {
	c := loadTemplate(t)
	q := c.resource(t, "DeliveryQueue", "AWS::SQS::Queue")
	jobBytes := toInt(t, config.EnvMaxJobBytes, c.env(t, "IngestFunction")[config.EnvMaxJobBytes])
	if size := toInt(t, "MaximumMessageSize", q["MaximumMessageSize"]); jobBytes > size {
		t.Errorf("%s = %d, more than DeliveryQueue's MaximumMessageSize %d: ingest would accept jobs SQS refuses", config.EnvMaxJobBytes, jobBytes, size)
	}
	dlq := c.resource(t, "DeliveryDLQ", "AWS::SQS::Queue")
	schedule := c.schedule(t)

	if got, want := get(q, "RedrivePolicy", "deadLetterTargetArn"), getAtt("DeliveryDLQ", "Arn"); !same(got, want) {
		t.Errorf("RedrivePolicy.deadLetterTargetArn = %v, want %v", got, want)
	}
	if got, want := toInt(t, "maxReceiveCount", get(q, "RedrivePolicy", "maxReceiveCount")), schedule.Attempts(); got != want {
		t.Errorf("maxReceiveCount = %d, want %d, the attempts in RETRY_SCHEDULE %v", got, want, schedule)
	}

	fnTimeout := toInt(t, "DeliveryFunction Timeout", c.fnProp(t, "DeliveryFunction", "Timeout"))
	if got := toInt(t, "VisibilityTimeout", q["VisibilityTimeout"]); got < 6*fnTimeout {
		t.Errorf("VisibilityTimeout = %d s, want at least 6 x DeliveryFunction's timeout = %d s", got, 6*fnTimeout)
	}
	for i, d := range schedule {
		if d > delivery.MaxDelay {
			t.Errorf("retry %d waits %s, more than SQS can hide a message (%s)", i+1, d, delivery.MaxDelay)
		}
	}

	var span time.Duration
	for _, d := range schedule {
		span += d
	}
	span = time.Duration(float64(span) * (1 + delivery.Jitter))
	retention := time.Duration(toInt(t, "MessageRetentionPeriod", q["MessageRetentionPeriod"])) * time.Second
	if retention <= span {
		t.Errorf("DeliveryQueue keeps messages %s, not longer than the retry schedule with jitter (%s)", retention, span)
	}
	dlqRetention := time.Duration(toInt(t, "DLQ MessageRetentionPeriod", dlq["MessageRetentionPeriod"])) * time.Second
	if dlqRetention != 14*24*time.Hour || dlqRetention <= retention {
		t.Errorf("DeliveryDLQ keeps messages %s, want 14 days and longer than DeliveryQueue (%s)", dlqRetention, retention)
	}

	for name, props := range map[string]map[string]any{"DeliveryQueue": q, "DeliveryDLQ": dlq} {
		if props["SqsManagedSseEnabled"] != true {
			t.Errorf("%s.SqsManagedSseEnabled = %v, want true", name, props["SqsManagedSseEnabled"])
		}
	}

	queueName, ok := sub(q["QueueName"])
	if !ok {
		t.Fatalf("DeliveryQueue.QueueName = %v, want a !Sub the DLQ's redrive-allow policy can name", q["QueueName"])
	}
	// The slow lane's queue keeps jobs as the main one does: a job moved there
	// has the same attempts, retention and dead-letter queue ahead of it.
	slow := c.resource(t, "DeliverySlowQueue", "AWS::SQS::Queue")
	for _, key := range []string{"VisibilityTimeout", "MessageRetentionPeriod", "MaximumMessageSize", "RedrivePolicy", "SqsManagedSseEnabled"} {
		if !same(slow[key], q[key]) {
			t.Errorf("DeliverySlowQueue.%s = %v, want DeliveryQueue's %v", key, slow[key], q[key])
		}
	}
	slowName, ok := sub(slow["QueueName"])
	if !ok {
		t.Fatalf("DeliverySlowQueue.QueueName = %v, want a !Sub the DLQ's redrive-allow policy can name", slow["QueueName"])
	}
	allow := get(dlq, "RedriveAllowPolicy")
	sources := list(get(allow, "sourceQueueArns"))
	arn := func(name string) any {
		return map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:" + name}
	}
	if get(allow, "redrivePermission") != "byQueue" || len(sources) != 2 || !same(sources[0], arn(queueName)) || !same(sources[1], arn(slowName)) {
		t.Errorf("DeliveryDLQ.RedriveAllowPolicy = %v, want byQueue with only %s and %s", allow, queueName, slowName)
	}
}

func TestTemplateDeliveryEventSource(t *testing.T) {
	c := loadTemplate(t)
	events, _ := c.fnProp(t, "DeliveryFunction", "Events").(map[string]any)
	// One mapping per lane, each with its own concurrency: the slow lane's
	// hanging receivers must not hold the main lane's functions.
	byQueue := map[string]map[string]any{}
	for _, e := range events {
		if get(e, "Type") == "SQS" {
			p, _ := get(e, "Properties").(map[string]any)
			q, _ := get(p, "Queue", "Fn::GetAtt").([]any)
			if len(q) == 2 {
				byQueue[fmt.Sprint(q[0])] = p
			}
		}
	}
	if len(events) != 2 || len(byQueue) != 2 {
		t.Fatalf("DeliveryFunction's SQS event sources by queue: %v; want DeliveryQueue's and DeliverySlowQueue's", byQueue)
	}
	var batch int
	for queue, concurrency := range map[string]string{"DeliveryQueue": "DeliveryMaxConcurrency", "DeliverySlowQueue": "DeliverySlowMaxConcurrency"} {
		es := byQueue[queue]
		if es == nil {
			t.Fatalf("no event source for %s", queue)
		}
		if got, want := es["Queue"], getAtt(queue, "Arn"); !same(got, want) {
			t.Errorf("%s: Queue = %v, want %v", queue, got, want)
		}
		batch = toInt(t, "BatchSize", es["BatchSize"])
		if batch != 10 {
			t.Errorf("%s: BatchSize = %d, want 10", queue, batch)
		}
		if types := list(es["FunctionResponseTypes"]); !slices.Contains(types, any("ReportBatchItemFailures")) {
			t.Errorf("%s: FunctionResponseTypes = %v, want ReportBatchItemFailures: without it one failure retries the whole batch", queue, types)
		}
		if got, want := get(es, "ScalingConfig", "MaximumConcurrency"), ref(concurrency); !same(got, want) {
			t.Errorf("%s: ScalingConfig.MaximumConcurrency = %v, want %v", queue, got, want)
		}
	}

	// A batch must finish within the function timeout: ceil(batch/concurrency)
	// rounds of one delivery timeout each, plus margin for DynamoDB and SQS.
	env := c.env(t, "DeliveryFunction")
	concurrency := toInt(t, config.EnvBatchConcurrency, env[config.EnvBatchConcurrency])
	perAttempt, err := time.ParseDuration(literal(t, config.EnvDeliveryTimeout, env[config.EnvDeliveryTimeout]))
	if err != nil {
		t.Fatalf("%s: %v", config.EnvDeliveryTimeout, err)
	}
	rounds := (batch + concurrency - 1) / concurrency
	fnTimeout := time.Duration(toInt(t, "Timeout", c.fnProp(t, "DeliveryFunction", "Timeout"))) * time.Second
	if need := time.Duration(rounds)*perAttempt + 10*time.Second; fnTimeout < need {
		t.Errorf("DeliveryFunction Timeout = %s, want at least %s (%d rounds of %s plus 10 s)", fnTimeout, need, rounds, perAttempt)
	}
}

// TestTemplateIngestRequiresIAM checks that no route reaches a function unsigned:
// anyone able to post would get their events signed with real keys.
func TestTemplateIngestRequiresIAM(t *testing.T) {
	c := loadTemplate(t)
	api := c.resource(t, "IngestApi", "AWS::Serverless::HttpApi")
	if got := get(api, "Auth", "DefaultAuthorizer"); got != "AWS_IAM" {
		t.Errorf("IngestApi DefaultAuthorizer = %v, want AWS_IAM", got)
	}
	if got := get(api, "Auth", "EnableIamAuthorizer"); got != true {
		t.Errorf("IngestApi EnableIamAuthorizer = %v, want true", got)
	}
	var postEvents, relay bool
	resources, _ := get(c, "Resources").(map[string]any)
	for name, r := range resources {
		if get(r, "Type") != "AWS::Serverless::Function" {
			continue
		}
		if url := get(r, "Properties", "FunctionUrlConfig"); url != nil && get(url, "AuthType") != "AWS_IAM" {
			t.Errorf("%s has a function URL with AuthType %v, want AWS_IAM", name, get(url, "AuthType"))
		}
		events, _ := get(r, "Properties", "Events").(map[string]any)
		for en, e := range events {
			switch get(e, "Type") {
			case "Api":
				t.Errorf("%s event %s is a REST API; the ingest API is the IAM-authorized HTTP API", name, en)
			case "HttpApi":
				p := get(e, "Properties")
				if got := get(p, "ApiId"); !same(got, ref("IngestApi")) {
					t.Errorf("%s event %s: ApiId = %v, want Ref IngestApi (without it SAM makes an API without auth)", name, en, got)
				}
				isRelay := name == "IngestFunction" && get(p, "Method") == "POST" && get(p, "Path") == relayRoute
				a := get(p, "Auth", "Authorizer")
				switch {
				case isRelay:
					relay = true
					if a != "NONE" {
						t.Errorf("%s event %s (the relay): Authorizer = %v, want NONE: Logto cannot sign SigV4", name, en, a)
					}
				case a != nil && a != "AWS_IAM":
					t.Errorf("%s event %s: Authorizer = %v, want AWS_IAM (only POST %s goes without)", name, en, a, relayRoute)
				}
				if name == "IngestFunction" && get(p, "Method") == "POST" && get(p, "Path") == "/events" {
					postEvents = true
				}
			}
		}
	}
	if !postEvents {
		t.Error("IngestFunction has no HttpApi event POST /events")
	}
	if !relay {
		t.Errorf("IngestFunction has no HttpApi event POST %s", relayRoute)
	}
}

// relayRoute is the one route without IAM auth (docs/logto-relay.md).
const relayRoute = "/logto/{sourceId}"

// TestTemplateRelayIsThrottled checks that the unauthenticated relay route has
// its own API Gateway throttling, below the function's concurrency, since
// anyone on the internet may call it.
func TestTemplateRelayIsThrottled(t *testing.T) {
	c := loadTemplate(t)
	api := c.resource(t, "IngestApi", "AWS::Serverless::HttpApi")
	settings := get(api, "RouteSettings", "POST "+relayRoute)
	if settings == nil {
		t.Fatalf("IngestApi has no RouteSettings for POST %s", relayRoute)
	}
	for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
		n, ok := get(settings, k).(int)
		if !ok || n <= 0 || n > 1000 {
			t.Errorf("POST %s %s = %v, want a positive limit (at most the account's default 1000 concurrent executions)", relayRoute, k, get(settings, k))
		}
	}
	env := c.env(t, "IngestFunction")
	if got := env[config.EnvSourcesTable]; !same(got, ref("SourcesTable")) {
		t.Errorf("IngestFunction %s = %v, want Ref SourcesTable", config.EnvSourcesTable, got)
	}
	c.resource(t, "SourcesTable", "AWS::DynamoDB::Table")
}

// TestTemplateRoles checks each function's role grants exactly the listed actions
// on the listed resources: the ingest role can read hooks, get a source (the
// relay) and queue jobs, nothing more; the delivery role can read/update hooks, write delivery logs and work the
// queue, nothing more.
func TestTemplateRoles(t *testing.T) {
	c := loadTemplate(t)
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	for _, tc := range []struct {
		fn, role string
		want     map[string][]string
	}{
		{"IngestFunction", "IngestRole", map[string][]string{
			"HooksTable":     {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"},
			"SourcesTable":   {"dynamodb:GetItem"},
			"DeliveryQueue":  {"sqs:SendMessage"},
			"IngestLogGroup": logs,
		}},
		{"DeliveryFunction", "DeliveryRole", map[string][]string{
			"HooksTable":        {"dynamodb:GetItem", "dynamodb:UpdateItem"},
			"DeliveriesTable":   {"dynamodb:PutItem"},
			"DeliveryQueue":     {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"},
			"DeliverySlowQueue": {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"},
			"DeliveryDLQ":       {"sqs:SendMessage"},
			"DeliveryLogGroup":  logs,
		}},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			if got, want := c.fnProp(t, tc.fn, "Role"), getAtt(tc.role, "Arn"); !same(got, want) {
				t.Errorf("Role = %v, want %v", got, want)
			}
			if p := c.fnProp(t, tc.fn, "Policies"); p != nil {
				t.Errorf("Policies = %v; grant permissions in %s only", p, tc.role)
			}
			role := c.resource(t, tc.role, "AWS::IAM::Role")
			if m := role["ManagedPolicyArns"]; m != nil {
				t.Errorf("%s.ManagedPolicyArns = %v, want none", tc.role, m)
			}
			got := map[string][]string{}
			for _, policy := range list(role["Policies"]) {
				for _, st := range list(get(policy, "PolicyDocument", "Statement")) {
					if get(st, "Effect") != "Allow" {
						continue
					}
					for _, r := range list(get(st, "Resource")) {
						key, ok := resourceOf(r)
						if !ok {
							key = fmt.Sprint(r)
						}
						for _, a := range list(get(st, "Action")) {
							got[key] = append(got[key], fmt.Sprint(a))
						}
					}
				}
			}
			for k := range got {
				slices.Sort(got[k])
			}
			if !same(got, tc.want) {
				t.Errorf("%s grants %v, want %v", tc.role, got, tc.want)
			}
		})
	}
}

func TestTemplateTables(t *testing.T) {
	c := loadTemplate(t)
	for _, name := range []string{"HooksTable", "DeliveriesTable"} {
		p := c.resource(t, name, "AWS::DynamoDB::Table")
		if p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("%s.BillingMode = %v, want PAY_PER_REQUEST", name, p["BillingMode"])
		}
		if got := get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"); got != true {
			t.Errorf("%s point-in-time recovery = %v, want true", name, got)
		}
	}
	ttl := get(c.resource(t, "DeliveriesTable", "AWS::DynamoDB::Table"), "TimeToLiveSpecification")
	if get(ttl, "Enabled") != true || get(ttl, "AttributeName") != dynamo.TTLAttribute {
		t.Errorf("DeliveriesTable TimeToLiveSpecification = %v, want enabled on %s, the attribute the code writes", ttl, dynamo.TTLAttribute)
	}
	if got := get(c, "Resources", "HooksTable", "DeletionPolicy"); got != "Retain" {
		t.Errorf("HooksTable DeletionPolicy = %v, want Retain: hooks hold the signing keys receivers use", got)
	}
}

func TestTemplateAlarms(t *testing.T) {
	c := loadTemplate(t)
	actions := []any{
		map[string]any{"Fn::If": []any{"HasAlarmEmail", ref("AlarmTopic"), ref("AWS::NoValue")}},
		map[string]any{"Fn::If": []any{"HasAlarmTopicArn", ref("AlarmTopicArn"), ref("AWS::NoValue")}},
	}
	tests := []struct {
		alarm, namespace, metric, dim string
		value                         any
	}{
		{"DeadLetterAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", getAtt("DeliveryDLQ", "QueueName")},
		{"QueueAgeAlarm", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", getAtt("DeliveryQueue", "QueueName")},
		{"SlowQueueAgeAlarm", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", getAtt("DeliverySlowQueue", "QueueName")},
		{"IngestErrorsAlarm", "AWS/Lambda", "Errors", "FunctionName", ref("IngestFunction")},
		{"DeliveryErrorsAlarm", "AWS/Lambda", "Errors", "FunctionName", ref("DeliveryFunction")},
		{"Ingest5xxAlarm", "AWS/ApiGateway", "5xx", "ApiId", ref("IngestApi")},
	}
	checked := map[string]bool{}
	for _, tc := range tests {
		checked[tc.alarm] = true
		t.Run(tc.alarm, func(t *testing.T) {
			p := c.resource(t, tc.alarm, "AWS::CloudWatch::Alarm")
			if p["Namespace"] != tc.namespace || p["MetricName"] != tc.metric {
				t.Errorf("metric = %v %v, want %s %s", p["Namespace"], p["MetricName"], tc.namespace, tc.metric)
			}
			want := []any{map[string]any{"Name": tc.dim, "Value": tc.value}}
			if !same(p["Dimensions"], want) {
				t.Errorf("Dimensions = %v, want %v", p["Dimensions"], want)
			}
			if !same(p["AlarmActions"], actions) {
				t.Errorf("AlarmActions = %v, want %v", p["AlarmActions"], actions)
			}
		})
	}
	for _, name := range []string{"QueueAgeAlarm", "SlowQueueAgeAlarm"} {
		if got := c.resource(t, name, "AWS::CloudWatch::Alarm")["Threshold"]; !same(got, ref("QueueAgeAlarmSeconds")) {
			t.Errorf("%s Threshold = %v, want Ref QueueAgeAlarmSeconds", name, got)
		}
	}
	resources, _ := get(c, "Resources").(map[string]any)
	for name, r := range resources {
		if get(r, "Type") == "AWS::CloudWatch::Alarm" && !checked[name] {
			t.Errorf("alarm %s is not checked here; add it to the table", name)
		}
	}
}

// TestTemplateDashboard checks the dashboard body is JSON once substituted, that
// every ${...} names something in the template, and that it charts every metric
// the code emits, in the configured namespace.
func TestTemplateDashboard(t *testing.T) {
	c := loadTemplate(t)
	body, ok := sub(c.resource(t, "Dashboard", "AWS::CloudWatch::Dashboard")["DashboardBody"])
	if !ok {
		t.Fatal("DashboardBody is not a !Sub string")
	}
	vars := regexp.MustCompile(`\$\{([^}]*)\}`)
	for _, m := range vars.FindAllStringSubmatch(body, -1) {
		name, attr, _ := strings.Cut(m[1], ".")
		switch {
		case strings.HasPrefix(name, "AWS::"):
		case attr == "" && get(c, "Parameters", name) != nil:
		case get(c, "Resources", name) == nil:
			t.Errorf("dashboard refers to ${%s}, which is not in the template", m[1])
		}
	}
	var v any
	if err := json.Unmarshal([]byte(vars.ReplaceAllString(body, "x")), &v); err != nil {
		t.Errorf("dashboard body is not JSON: %v", err)
	}
	for _, name := range []string{
		metrics.DeliverySucceeded, metrics.DeliveryFailed, metrics.DeliveryRetried, metrics.DeliveryDeadLettered,
		metrics.DeliveryDropped, metrics.DeliveryLatency, metrics.HookDisabled,
		metrics.IngestAccepted, metrics.IngestRejected, metrics.IngestDeliveries,
	} {
		if !strings.Contains(body, `["${MetricsNamespace}", "`+name+`"`) {
			t.Errorf("dashboard does not chart %s from ${MetricsNamespace}", name)
		}
	}
	for _, name := range []string{metrics.DeliverySucceeded, metrics.DeliveryFailed, metrics.DeliveryRetried} {
		if !strings.Contains(body, `SEARCH('{${MetricsNamespace},Event} MetricName=\"`+name+`\"'`) {
			t.Errorf("dashboard does not chart %s by event", name)
		}
	}
	for name, r := range get(c, "Resources").(map[string]any) {
		if get(r, "Type") == "AWS::CloudWatch::Alarm" && !strings.Contains(body, "${"+name+".Arn}") {
			t.Errorf("dashboard's alarm widget lacks %s", name)
		}
	}
}

// TestTemplateOutputs checks the outputs the CLI's --stack flag reads.
func TestTemplateOutputs(t *testing.T) {
	c := loadTemplate(t)
	for _, tc := range []struct {
		key  string
		want any    // exact value, or
		sub  string // a !Sub that must contain this
	}{
		{key: "IngestUrl", sub: "${IngestApi}.execute-api."},
		{key: "IngestFunctionName", want: ref("IngestFunction")},
		{key: "DeliveryFunctionName", want: ref("DeliveryFunction")},
		{key: "HooksTableName", want: ref("HooksTable")},
		{key: "DeliveriesTableName", want: ref("DeliveriesTable")},
		{key: "DeliveryQueueUrl", want: ref("DeliveryQueue")},
		{key: "DeadLetterQueueUrl", want: ref("DeliveryDLQ")},
		{key: "DashboardUrl", sub: "#dashboards:name=${Dashboard}"},
	} {
		got := get(c, "Outputs", tc.key, "Value")
		if tc.want != nil && !same(got, tc.want) {
			t.Errorf("output %s = %v, want %v", tc.key, got, tc.want)
		}
		if s, _ := sub(got); tc.sub != "" && !strings.Contains(s, tc.sub) {
			t.Errorf("output %s = %v, want a !Sub containing %q", tc.key, got, tc.sub)
		}
	}
	if s, _ := sub(get(c, "Outputs", "IngestUrl", "Value")); !strings.HasSuffix(s, "/events") {
		t.Errorf("IngestUrl = %q, want it to end in /events", s)
	}
}

// TestTemplateParametersUsed catches a parameter nothing reads: cfn-lint skips its
// unused-parameter rule on SAM templates, and users would set it for nothing.
func TestTemplateParametersUsed(t *testing.T) {
	c := loadTemplate(t)
	used := map[string]bool{}
	subVar := regexp.MustCompile(`\$\{([^}.!]+)`)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["Ref"].(string); ok {
				used[name] = true
			}
			if s, ok := sub(x); ok {
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					used[m[1]] = true
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(get(c, "Resources"))
	walk(get(c, "Outputs"))
	walk(get(c, "Conditions"))
	params, _ := get(c, "Parameters").(map[string]any)
	for name := range params {
		if !used[name] {
			t.Errorf("parameter %s is not used", name)
		}
	}
}

// TestTemplateTablesMatchTheEmulator checks that the tables the tests create on
// the emulator (awstest) have the key schemas template.yaml declares, so what
// the contract suites prove holds for the deployed tables.
func TestTemplateTablesMatchTheEmulator(t *testing.T) {
	c := loadTemplate(t)
	for _, tb := range []awstest.Table{awstest.HooksTable, awstest.DeliveriesTable, awstest.SourcesTable} {
		p := c.resource(t, tb.Resource, "AWS::DynamoDB::Table")
		var keys, attrs []string
		for i, k := range list(p["KeySchema"]) {
			want := "HASH"
			if i > 0 {
				want = "RANGE"
			}
			if get(k, "KeyType") != want {
				t.Errorf("%s key %d is %v, want %s", tb.Resource, i, get(k, "KeyType"), want)
			}
			keys = append(keys, fmt.Sprint(get(k, "AttributeName")))
		}
		for _, a := range list(p["AttributeDefinitions"]) {
			if get(a, "AttributeType") != "S" {
				t.Errorf("%s attribute %v is of type %v, want S", tb.Resource, get(a, "AttributeName"), get(a, "AttributeType"))
			}
			attrs = append(attrs, fmt.Sprint(get(a, "AttributeName")))
		}
		if !slices.Equal(keys, tb.Keys) || !slices.Equal(attrs, tb.Keys) {
			t.Errorf("%s keys %v (attributes %v); the emulator's tables have %v", tb.Resource, keys, attrs, tb.Keys)
		}
	}
}
