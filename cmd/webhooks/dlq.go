package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func newDLQCmd() *cobra.Command {
	var b backendFlags
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect the dead-letter queue and move its jobs back for delivery",
		Long: `Jobs land in the dead-letter queue after every attempt of the retry schedule (or of
their hook's retries) failed. Fix the receiver, then redrive them: they are delivered
again from the first attempt, with the same webhook-id.`,
	}
	b.register(cmd)
	cmd.AddCommand(newDLQListCmd(&b), newDLQRedriveCmd(&b))
	return cmd
}

// deadFlags are the --hook and --event filter that list and redrive share.
type deadFlags struct {
	hookID, event string
}

func (d *deadFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&d.hookID, "hook", "", "only jobs of this hook")
	fs.StringVar(&d.event, "event", "", "only jobs of this event")
}

// filter reads --hook and --event.
func (d *deadFlags) filter() (webhook.DeadFilter, error) {
	f := webhook.DeadFilter{HookID: d.hookID}
	if d.event != "" {
		e, err := webhook.ParseEvent(d.event)
		if err != nil {
			return f, fmt.Errorf("--event: %w", err)
		}
		f.Event = e
	}
	return f, nil
}

// runE is a RunE that checks the filter, then opens the DLQ for fn.
func (d *deadFlags) runE(b *backendFlags, fn func(cmd *cobra.Command, be *backend.Backend, f webhook.DeadFilter) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		f, err := d.filter()
		if err != nil {
			return err
		}
		return b.with(cmd, backend.NeedDead, func(be *backend.Backend) error { return fn(cmd, be, f) })
	}
}

// args repeats the filter as flags, for a command line to copy.
func (d *deadFlags) args() string {
	s := ""
	if d.hookID != "" {
		s += " --hook " + d.hookID
	}
	if d.event != "" {
		s += " --event " + d.event
	}
	return s
}

// text describes the filter in a sentence, or is empty without one.
func (d *deadFlags) text() string {
	var parts []string
	if d.hookID != "" {
		parts = append(parts, "of hook "+d.hookID)
	}
	if d.event != "" {
		parts = append(parts, "of event "+d.event)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func newDLQListCmd(b *backendFlags) *cobra.Command {
	var (
		d      deadFlags
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list [--hook ID] [--event E]",
		Short: "List dead-lettered jobs, oldest first",
		Args:  cobra.NoArgs,
		RunE: d.runE(b, func(cmd *cobra.Command, be *backend.Backend, f webhook.DeadFilter) error {
			jobs, err := be.Dead.ListDead(cmd.Context(), f, limit)
			if err != nil {
				return err
			}
			if jobs == nil {
				jobs = []webhook.Job{}
			}
			return printResult(cmd, asJSON, jobs, func(w io.Writer) error { return printDeadJobs(w, jobs, d.args()) })
		}),
	}
	d.register(cmd)
	fs := cmd.Flags()
	fs.IntVar(&limit, "limit", 0, "at most this many jobs (0: all)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON array of jobs (with payloads)")
	return cmd
}

// printDeadJobs prints dead-lettered jobs as a table and the redrive command
// (with args, the list's filter flags) that moves them back.
func printDeadJobs(w io.Writer, jobs []webhook.Job, args string) error {
	if len(jobs) == 0 {
		_, err := fmt.Fprintln(w, "The dead-letter queue holds no matching jobs.")
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DELIVERY ID\tEVENT\tHOOK\tATTEMPTS\tEVENT ID")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", j.DeliveryID, j.Event, j.HookID, j.Attempt, j.EventID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d %s. Move %s back with: webhooks dlq redrive%s\n", len(jobs), plural(len(jobs), "job", "jobs"), plural(len(jobs), "it", "them"), args)
	return err
}

func newDLQRedriveCmd(b *backendFlags) *cobra.Command {
	var (
		d   deadFlags
		yes bool
	)
	cmd := &cobra.Command{
		Use:   "redrive [--hook ID] [--event E] [--yes]",
		Short: "Move dead-lettered jobs back to the delivery queue",
		Long: `redrive moves the matching jobs (all by default) back to the delivery queue, where
they get the whole retry schedule again. On a terminal it asks first (skip with --yes)
and shows progress; it always ends with the number of jobs moved.`,
		Args: cobra.NoArgs,
		RunE: d.runE(b, func(cmd *cobra.Command, be *backend.Backend, f webhook.DeadFilter) error {
			ctx := cmd.Context()
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			ask, showProgress := !yes && isTerminal(cmd.InOrStdin()), isTerminal(errOut)
			total := -1
			if ask || showProgress {
				jobs, err := be.Dead.ListDead(ctx, f, 0)
				if err != nil {
					return err
				}
				total = len(jobs)
				if total == 0 {
					_, err := fmt.Fprintln(out, "The dead-letter queue holds no matching jobs; nothing moved.")
					return err
				}
			}
			if ask {
				fmt.Fprintf(errOut, "Move %d dead-lettered %s%s back to the delivery queue of %s? [y/N] ",
					total, plural(total, "job", "jobs"), d.text(), be.Where)
				if !confirmed(cmd.InOrStdin()) {
					_, err := fmt.Fprintln(out, "Aborted; nothing moved.")
					return err
				}
			}
			var progress func(int)
			if showProgress {
				progress = func(n int) { fmt.Fprintf(errOut, "\r%s", bar(n, total, 30)) }
			}
			moved, err := be.Dead.Redrive(ctx, f, progress)
			if showProgress && moved > 0 {
				fmt.Fprintln(errOut)
			}
			if err != nil {
				return fmt.Errorf("%w (%d moved before the failure)", err, moved)
			}
			_, err = fmt.Fprintf(out, "Moved %d %s back to the delivery queue.\n", moved, plural(moved, "job", "jobs"))
			return err
		}),
	}
	d.register(cmd)
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func confirmed(in io.Reader) bool {
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// bar draws "[=====>    ] 12/40"; the total can grow if jobs arrive meanwhile.
func bar(n, total, width int) string {
	total = max(total, n, 1)
	filled := n * width / total
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), n, total)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
