package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gopkg.in/yaml.v3"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/backend/stack"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// stackTemplate has the resources and output keys of template.yaml that the
// CLI reads, without the functions, which the emulator cannot run.
const stackTemplate = `
Resources:
  HooksTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  DeliveriesTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: hookId, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
      KeySchema: [{AttributeName: hookId, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
  DeliveryDLQ:
    Type: AWS::SQS::Queue
  DeliveryQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt DeliveryDLQ.Arn, maxReceiveCount: 8}
Outputs:
  HooksTableName: {Value: !Ref HooksTable}
  DeliveriesTableName: {Value: !Ref DeliveriesTable}
  DeliveryQueueUrl: {Value: !Ref DeliveryQueue}
  DeadLetterQueueUrl: {Value: !Ref DeliveryDLQ}
`

// TestAWSBackend runs the CLI against the emulator through --stack: hooks in
// DynamoDB, the delivery log, and the DLQ on SQS.
func TestAWSBackend(t *testing.T) {
	cfg := awstest.Config(t)
	endpoint := awstest.Endpoint(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
		"AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	ctx := t.Context()
	stackName := awstest.Name("cli")
	cf := cloudformation.NewFromConfig(cfg)
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: &stackName, TemplateBody: aws.String(stackTemplate)}); err != nil {
		t.Fatal(err)
	}
	out, err := stack.Outputs(ctx, cfg, stackName)
	if err != nil || out[backend.OutHooksTable] == "" || out[backend.OutDLQURL] == "" {
		t.Fatalf("stack outputs %v, %v", out, err)
	}
	run := func(args ...string) string {
		t.Helper()
		stdout, _, err := execCLI(t, "", append(args, "--stack", stackName)...)
		if err != nil {
			t.Fatalf("webhooks %s: %v", strings.Join(args, " "), err)
		}
		return stdout
	}

	created := run("hooks", "create", "--url", "https://203.0.113.10/hook", "--events", "User.Created", "--name", "aws")
	m := idRE.FindStringSubmatch(created)
	if m == nil {
		t.Fatalf("create printed no id:\n%s", created)
	}
	id := m[1]
	if list := run("hooks", "list"); !strings.Contains(list, id) || !strings.Contains(list, "0/0 ok") {
		t.Errorf("list lacks the hook or its stats:\n%s", list)
	}
	run("hooks", "update", id, "--events", "User.Created,User.Deleted")
	var h management.HookJSON
	if err := json.Unmarshal([]byte(run("hooks", "get", id, "--json")), &h); err != nil || len(h.Events) != 2 {
		t.Errorf("get --json after update: %+v, %v; want 2 events", h, err)
	}
	if got := run("deliveries", "list", "--hook", id); !strings.HasPrefix(got, "No deliveries") {
		t.Errorf("deliveries list = %q", got)
	}

	job := webhook.Job{Version: webhook.JobVersion, DeliveryID: "msg_awsdead", EventID: "evt_x", Event: webhook.UserCreated,
		HookID: id, Payload: json.RawMessage(`{"event":"User.Created"}`)}
	body, _ := json.Marshal(job)
	if _, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(out[backend.OutDLQURL]), MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	if got := run("dlq", "list", "--hook", id); !strings.Contains(got, "msg_awsdead") {
		t.Errorf("dlq list:\n%s", got)
	}
	if got := run("dlq", "redrive", "--yes"); got != "Moved 1 job back to the delivery queue.\n" {
		t.Errorf("dlq redrive = %q", got)
	}
	run("hooks", "delete", id)
	if _, _, err := execCLI(t, "", "hooks", "get", id, "--stack", stackName); err == nil || !regexp.MustCompile(`no hook with id .* in stack `).MatchString(err.Error()) {
		t.Errorf("get after delete: %v", err)
	}
	if _, _, err := execCLI(t, "", "dlq", "list", "--hooks-table", out[backend.OutHooksTable]); err == nil || !strings.Contains(err.Error(), "--queue-url") {
		t.Errorf("dlq list without queues: %v; want the missing flag named", err)
	}
}

// TestStackOutputKeys checks that template.yaml declares every output --stack
// reads, so a renamed output breaks this test rather than the CLI.
func TestStackOutputKeys(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "Outputs" {
			outputs := root.Content[i+1]
			for j := 0; j < len(outputs.Content); j += 2 {
				declared[outputs.Content[j].Value] = true
			}
		}
	}
	for _, key := range []string{backend.OutIngestURL, backend.OutHooksTable, backend.OutDeliveriesTable, backend.OutQueueURL, backend.OutDLQURL} {
		if !declared[key] {
			t.Errorf("template.yaml has no output %s, which webhooks --stack reads", key)
		}
	}
}
