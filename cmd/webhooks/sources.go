package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// sourcesEnv is what every sources subcommand shares: where sources live and
// the base URL Logto reaches the relay at.
type sourcesEnv struct {
	backendFlags
	baseURL string
}

func newSourcesCmd() *cobra.Command {
	env := &sourcesEnv{}
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "Manage the Logto tenants whose webhooks the relay accepts (locally or on AWS)",
		Long: `A source is a Logto tenant that sends its own webhooks to POST /logto/{id}. The relay
checks Logto's logto-signature-sha-256 with the source's signing key (the key Logto
shows for that webhook) and delivers the body to every subscribed hook. Sources live
in the local database of webhooks dev (--db) or in a deployed stack (--stack NAME, or
--sources-table). See docs/logto-relay.md.`,
	}
	fs := cmd.PersistentFlags()
	fs.StringVar(&env.db, "db", devserver.DefaultDBPath, "the local SQLite file (the one webhooks dev uses)")
	fs.StringVar(&env.aws.Stack, "stack", "", "use the sources table of this CloudFormation stack (reads its outputs)")
	fs.StringVar(&env.aws.SourcesTable, "sources-table", "", "AWS: the sources DynamoDB table (overrides the stack's)")
	fs.StringVar(&env.baseURL, "url", "", "the base URL Logto reaches the relay at (default: http://"+devserver.DefaultAddr+
		" locally, the stack's RelayUrl with --stack)")
	cmd.AddCommand(newSourcesCreateCmd(env), newSourcesListCmd(env), newSourcesGetCmd(env), newSourcesUpdateCmd(env),
		newSourcesDeleteCmd(env), newSourcesRotateCmd(env))
	return cmd
}

// open returns the management Service over the selected sources store (the
// backend factory's: the local file, or the stack's or named sources table),
// the base of relay URLs and a closer.
func (e *sourcesEnv) open(cmd *cobra.Command) (*management.Service, string, func(), error) {
	b, err := e.backendFlags.open(cmd, backend.NeedSources)
	if err != nil {
		return nil, "", nil, err
	}
	base := b.RelayURL
	if u := e.baseURL; u != "" || !e.onAWS() {
		// Locally the relay is where webhooks dev serves it unless --url says.
		base = strings.TrimSuffix(cmp.Or(u, "http://"+devserver.DefaultAddr), "/") + strings.TrimSuffix(webhook.RelayPathPrefix, "/")
	}
	svc := management.NewService(management.Config{Hooks: noHooks{}, Sources: b.Sources, Now: cliNow})
	return svc, base, func() { _ = b.Close() }, nil
}

// with runs fn on an open Service and explains its errors.
func (e *sourcesEnv) with(cmd *cobra.Command, what string, fn func(s *management.Service, base string) error) error {
	s, base, closeFn, err := e.open(cmd)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := fn(s, base); err != nil {
		if me, ok := errors.AsType[*management.Error](err); ok {
			return fmt.Errorf("%s: %s", what, me.Message)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func newSourcesCreateCmd(env *sourcesEnv) *cobra.Command {
	var name, key string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME [--signing-key KEY]",
		Short: "Create a source; prints the URL to paste into Logto's webhook settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return errors.New("--name is required")
			}
			in := management.SourceInput{Name: &name}
			if key != "" {
				in.SigningKey = &key
			}
			return env.with(cmd, "create source", func(s *management.Service, base string) error {
				src, err := s.CreateSource(cmd.Context(), in)
				if err != nil {
					return err
				}
				v := management.SourceToJSON(src, cliNow())
				return printResult(cmd, asJSON, v, func(w io.Writer) error {
					fmt.Fprintf(w, "Created source %s (%s).\n", src.ID, src.Name)
					fmt.Fprintf(w, "In Logto (Console > Webhooks > Create webhook), set the endpoint URL to:\n  %s/%s\n", base, src.ID)
					if src.SigningKey == "" {
						fmt.Fprintf(w, "Then copy the signing key Logto shows for that webhook and paste it here:\n"+
							"  webhooks sources update %s --signing-key KEY\nUntil then the relay refuses every body for this source.\n", src.ID)
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a name for the Logto tenant")
	cmd.Flags().StringVar(&key, "signing-key", "", "the signing key Logto shows for the webhook (also settable later with update)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON (without the key)")
	return cmd
}

func newSourcesListCmd(env *sourcesEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List sources, newest first (keys are never printed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return env.with(cmd, "list sources", func(s *management.Service, base string) error {
				list, err := s.ListSources(cmd.Context())
				if err != nil {
					return err
				}
				views := make([]management.SourceJSON, len(list))
				for i, src := range list {
					views[i] = management.SourceToJSON(src, cliNow())
				}
				return printResult(cmd, asJSON, views, func(w io.Writer) error {
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tNAME\tENABLED\tKEY\tRELAY URL")
					for _, v := range views {
						fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s/%s\n", v.ID, v.Name, v.Enabled, keyState(v), base, v.ID)
					}
					return tw.Flush()
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON array")
	return cmd
}

func keyState(v management.SourceJSON) string {
	switch {
	case !v.HasSigningKey:
		return "missing"
	case v.PreviousKeyExpiresAt != nil:
		return "set (previous until " + formatMillis(*v.PreviousKeyExpiresAt) + ")"
	}
	return "set"
}

func newSourcesGetCmd(env *sourcesEnv) *cobra.Command {
	var asJSON, showKey bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a source; --show-key prints its signing key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return env.with(cmd, "get source", func(s *management.Service, base string) error {
				src, err := s.GetSource(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				v := management.SourceToJSON(src, cliNow())
				return printResult(cmd, asJSON, v, func(w io.Writer) error {
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					fmt.Fprintf(tw, "id\t%s\nname\t%s\nenabled\t%t\nrelay URL\t%s/%s\nsigning key\t%s\ncreated\t%s\n",
						v.ID, v.Name, v.Enabled, base, v.ID, keyState(v), formatMillis(v.CreatedAt))
					if showKey && src.SigningKey != "" {
						fmt.Fprintf(tw, "key\t%s\n", src.SigningKey)
					}
					return tw.Flush()
				})
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON (never with the key)")
	cmd.Flags().BoolVar(&showKey, "show-key", false, "also print the signing key")
	return cmd
}

func newSourcesUpdateCmd(env *sourcesEnv) *cobra.Command {
	var name, key string
	var enable, disable, asJSON bool
	cmd := &cobra.Command{
		Use:   "update ID [--name N] [--signing-key KEY] [--enable|--disable]",
		Short: "Change a source; --signing-key replaces the key at once (see rotate-key)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in management.SourceInput
			if cmd.Flags().Changed("name") {
				in.Name = &name
			}
			if cmd.Flags().Changed("signing-key") {
				in.SigningKey = &key
			}
			if enable && disable {
				return errors.New("--enable and --disable exclude each other")
			}
			if enable || disable {
				in.Enabled = &enable
			}
			if in == (management.SourceInput{}) {
				return errors.New("nothing to change: give --name, --signing-key, --enable or --disable")
			}
			return env.with(cmd, "update source", func(s *management.Service, _ string) error {
				src, err := s.UpdateSource(cmd.Context(), args[0], in)
				if err != nil {
					return err
				}
				v := management.SourceToJSON(src, cliNow())
				return printResult(cmd, asJSON, v, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "Updated source %s: enabled %t, signing key %s.\n", v.ID, v.Enabled, keyState(v))
					return err
				})
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a new name")
	cmd.Flags().StringVar(&key, "signing-key", "", "the signing key Logto shows for the webhook")
	cmd.Flags().BoolVar(&enable, "enable", false, "accept the source's bodies again")
	cmd.Flags().BoolVar(&disable, "disable", false, "refuse the source's bodies (403)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON")
	return cmd
}

func newSourcesDeleteCmd(env *sourcesEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a source; the relay then answers 404 for it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return env.with(cmd, "delete source", func(s *management.Service, _ string) error {
				if err := s.DeleteSource(cmd.Context(), args[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "Deleted source %s.\n", args[0])
				return err
			})
		},
	}
}

func newSourcesRotateCmd(env *sourcesEnv) *cobra.Command {
	var key string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "rotate-key ID --signing-key NEW [--grace 1h]",
		Short: "Switch to the key Logto shows after regenerating it; the old key stays valid for the grace",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var g *time.Duration
			if cmd.Flags().Changed("grace") {
				g = &grace
			}
			return env.with(cmd, "rotate source key", func(s *management.Service, _ string) error {
				src, err := s.RotateSourceKey(cmd.Context(), args[0], key, g)
				if err != nil {
					return err
				}
				v := management.SourceToJSON(src, cliNow())
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Source %s now verifies with the new key; signing key %s.\n", v.ID, keyState(v))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&key, "signing-key", "", "the new signing key Logto shows for the webhook")
	cmd.Flags().DurationVar(&grace, "grace", management.DefaultRotationGrace, "how long bodies signed with the old key are still accepted")
	return cmd
}

// noHooks is the hook store of a Service used only for sources.
type noHooks struct{ webhook.HookStore }
