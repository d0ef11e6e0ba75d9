package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/backend/stack"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// DefaultIngestURL is where `webhooks dev` listens for records.
const DefaultIngestURL = "http://127.0.0.1:3000/events"

func newSendCmd() *cobra.Command {
	var (
		target, stackName, ingestURL string
		timeout                      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "send FILE|-",
		Short: "Post an ingest request to webhooks dev or, signed with SigV4, to a stack",
		Long: `send posts FILE (or stdin for "-") as one ingest request: {"records":[...]} or one
record. By default it goes to a running webhooks dev (--url). With --stack NAME it goes
to the stack's IngestUrl output, or with --ingest-url to that URL, signed with AWS
Signature Version 4 (service execute-api) using your AWS credentials. It prints the
202 answer: the events produced and how many deliveries were queued.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readRequestFile(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			onAWS := stackName != "" || ingestURL != ""
			if onAWS && cmd.Flags().Changed("url") {
				return errors.New("--url posts to webhooks dev; drop it when using --stack or --ingest-url")
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			if onAWS {
				cfg, err := awsconfig.Load(ctx)
				if err != nil {
					return err
				}
				if ingestURL == "" {
					out, err := stack.Outputs(ctx, cfg, stackName)
					if err != nil {
						return err
					}
					if ingestURL = out[backend.OutIngestURL]; ingestURL == "" {
						return fmt.Errorf("stack %s has no output %s; pass --ingest-url", stackName, backend.OutIngestURL)
					}
				}
				if req, err = http.NewRequestWithContext(ctx, http.MethodPost, ingestURL, bytes.NewReader(body)); err != nil {
					return fmt.Errorf("--ingest-url: %w", err)
				}
				req.Header.Set("Content-Type", "application/json")
				creds, err := cfg.Credentials.Retrieve(ctx)
				if err != nil {
					return fmt.Errorf("AWS credentials: %w", err)
				}
				sum := sha256.Sum256(body)
				if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", cfg.Region, time.Now()); err != nil {
					return fmt.Errorf("sign request: %w", err)
				}
			} else if err != nil {
				return fmt.Errorf("--url: %w", err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Timeout: timeout}).Do(req)
			if err != nil {
				if !onAWS {
					return fmt.Errorf("post to %s: %w (is webhooks dev running?)", req.URL.Redacted(), err)
				}
				return fmt.Errorf("post to %s: %w", req.URL.Redacted(), err)
			}
			defer resp.Body.Close()
			answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				return fmt.Errorf("read answer: %w", err)
			}
			if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
				return ingestError(resp.StatusCode, answer)
			}
			answer = append(bytes.TrimSpace(answer), '\n')
			_, err = cmd.OutOrStdout().Write(answer)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&target, "url", DefaultIngestURL, "the ingest endpoint of webhooks dev")
	fs.StringVar(&stackName, "stack", "", "post to this CloudFormation stack's IngestUrl, signed with SigV4")
	fs.StringVar(&ingestURL, "ingest-url", "", "post to this API Gateway URL, signed with SigV4")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

// readRequestFile reads an ingest request from path, or stdin for "-", refusing
// more than an ingest request may hold.
func readRequestFile(cmd *cobra.Command, path string) ([]byte, error) {
	var r io.Reader = cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, webhook.MaxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(body) > webhook.MaxRequestBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes, the limit of one request; split the records", path, webhook.MaxRequestBytes)
	}
	return body, nil
}

// ingestError turns an ingest error answer into one line naming the record and
// field, or the raw answer when it is not ours (an API Gateway 403, say).
func ingestError(status int, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Record  *int   `json:"record"`
			Field   string `json:"field"`
		} `json:"error"`
		Message string `json:"message"` // API Gateway's own errors
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		where := ""
		if e.Error.Record != nil {
			where = fmt.Sprintf("records[%d]", *e.Error.Record)
		}
		if e.Error.Field != "" {
			where = strings.TrimPrefix(where+"."+e.Error.Field, ".")
		}
		if where != "" {
			where += ": "
		}
		return fmt.Errorf("ingest answered %d %s: %s%s", status, e.Error.Code, where, e.Error.Message)
	}
	if e.Message != "" {
		return fmt.Errorf("ingest answered %d: %s", status, e.Message)
	}
	return fmt.Errorf("ingest answered %d: %s", status, oneLine(string(body), 200))
}
