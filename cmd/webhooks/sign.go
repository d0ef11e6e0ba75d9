package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// Environment variables that carry keys, so they stay out of shell history.
const (
	envSigningKey         = "WEBHOOKS_SIGNING_KEY"
	envPreviousSigningKey = "WEBHOOKS_PREVIOUS_SIGNING_KEY"
)

func newSignCmd() *cobra.Command { return signCmd(time.Now, rand.Reader) }

func newVerifyCmd() *cobra.Command { return verifyCmd(time.Now) }

// signCmd prints the signature headers a delivery of a body would carry; the
// clock and randomness are injected for tests.
func signCmd(now func() time.Time, random io.Reader) *cobra.Command {
	var key, previous, id string
	var unix int64
	cmd := &cobra.Command{
		Use:   "sign [FILE]",
		Short: "Print the signature headers of a delivery",
		Long: `Print the signature headers a delivery of the body in FILE (or stdin when FILE
is "-" or absent) would carry: logto-signature-sha-256, webhook-id,
webhook-timestamp and webhook-signature. The body is signed byte for byte.

The key may come from ` + envSigningKey + ` (and the previous key, during a
rotation, from ` + envPreviousSigningKey + `) to keep it out of shell history.`,
		Example: `  webhooks sign --id msg_1 --timestamp 1700000000 body.json
  echo -n '{}' | WEBHOOKS_SIGNING_KEY=... webhooks sign`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key = keyOrEnv(key, envSigningKey)
			if key == "" {
				return fmt.Errorf("no signing key: pass --key or set %s", envSigningKey)
			}
			keys := []string{key}
			if p := keyOrEnv(previous, envPreviousSigningKey); p != "" {
				keys = append(keys, p)
			}
			if id == "" {
				b := make([]byte, 16)
				if _, err := io.ReadFull(random, b); err != nil {
					return fmt.Errorf("generate webhook-id: %w", err)
				}
				id = "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
			}
			if strings.ContainsAny(id, ". \t\r\n") {
				return fmt.Errorf("--id %q: a webhook-id may not contain dots or whitespace (Standard Webhooks signs id.timestamp.body)", id)
			}
			ts := now()
			if cmd.Flags().Changed("timestamp") {
				ts = time.Unix(unix, 0)
			}
			body, err := readBody(cmd, args)
			if err != nil {
				return err
			}
			h := http.Header{}
			signature.Sign(h, keys, id, ts, body)
			out := cmd.OutOrStdout()
			for _, name := range []string{signature.HeaderLogto, signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
				if v := h.Get(name); v != "" {
					fmt.Fprintf(out, "%s: %s\n", name, v)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the hook's signing key (default $"+envSigningKey+")")
	f.StringVar(&previous, "previous-key", "", "the key replaced by a rotation, still valid in its grace period (default $"+envPreviousSigningKey+")")
	f.StringVar(&id, "id", "", "webhook-id (default a random msg_ id)")
	f.Int64Var(&unix, "timestamp", 0, "webhook-timestamp in Unix seconds (default now)")
	return cmd
}

// verifyCmd checks a delivery's signature headers against a body and a key.
func verifyCmd(now func() time.Time) *cobra.Command {
	var key, headersFile, scheme string
	var headerLines []string
	var tolerance time.Duration
	cmd := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Verify a delivery's signature headers",
		Long: `Verify the signature headers of a delivery of the body in FILE (or stdin when
FILE is "-" or absent), given as --header 'name: value' flags and/or a
--headers-file of 'name: value' lines (such as the output of webhooks sign).

Every scheme present is checked: logto-signature-sha-256 and the Standard
Webhooks headers. During a key rotation the Logto header carries the current
key only, so check the previous key with --scheme standard.

Exits 1 with the reason when verification fails.`,
		Example: `  webhooks sign --id msg_1 body.json > headers.txt
  webhooks verify --headers-file headers.txt body.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key = keyOrEnv(key, envSigningKey)
			if key == "" {
				return fmt.Errorf("no signing key: pass --key or set %s", envSigningKey)
			}
			if headersFile == "-" && (len(args) == 0 || args[0] == "-") {
				return errors.New("--headers-file - and the body cannot both come from stdin; pass FILE")
			}
			h := http.Header{}
			if headersFile != "" {
				if err := readHeaderFile(cmd, headersFile, h); err != nil {
					return err
				}
			}
			for i, line := range headerLines {
				if err := addHeader(h, line); err != nil {
					return fmt.Errorf("--header #%d: %w", i+1, err)
				}
			}
			body, err := readBody(cmd, args)
			if err != nil {
				return err
			}
			var checked string
			switch scheme {
			case "all":
				err = signature.Verify(h, body, key, tolerance, now())
				checked = presentSchemes(h)
			case "logto":
				err = signature.VerifyLogto(h, body, key)
				checked = signature.HeaderLogto
			case "standard":
				err = signature.VerifyStandard(h, body, key, tolerance, now())
				checked = signature.HeaderSignature
			default:
				return fmt.Errorf("--scheme %q: want all, logto or standard", scheme)
			}
			if err != nil {
				return fmt.Errorf("verification failed: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %s verified", checked)
			if id := h.Get(signature.HeaderID); id != "" {
				fmt.Fprintf(cmd.OutOrStdout(), " (webhook-id %s)", id)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the signing key (default $"+envSigningKey+")")
	f.StringArrayVar(&headerLines, "header", nil, "a received header as 'name: value' (repeatable)")
	f.StringVar(&headersFile, "headers-file", "", "a file of 'name: value' lines ('-' for stdin)")
	f.DurationVar(&tolerance, "tolerance", 5*time.Minute, "maximum age (or skew) of webhook-timestamp; 0 skips the check")
	f.StringVar(&scheme, "scheme", "all", "which signature to check: all (every scheme present), logto or standard")
	return cmd
}

func keyOrEnv(flag, env string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(env)
}

// readBody reads the body from args[0], or stdin when it is "-" or absent.
func readBody(cmd *cobra.Command, args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read body from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

func readHeaderFile(cmd *cobra.Command, name string, h http.Header) error {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read headers: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := addHeader(h, line); err != nil {
			return fmt.Errorf("%s line %d: %w", name, n, err)
		}
	}
	return nil
}

func addHeader(h http.Header, line string) error {
	name, value, ok := strings.Cut(line, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return errors.New("want 'name: value'")
	}
	h.Add(name, strings.TrimSpace(value))
	return nil
}

func presentSchemes(h http.Header) string {
	var s []string
	for _, name := range []string{signature.HeaderLogto, signature.HeaderSignature} {
		if h.Get(name) != "" {
			s = append(s, name)
		}
	}
	return strings.Join(s, " and ")
}
