// Command webhooks is the CLI of the service: it maps and signs events, runs the
// whole pipeline locally (webhooks dev) and manages hooks, delivery logs and the
// dead-letter queue, locally or on AWS.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhooks:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "webhooks",
		Short:         "Logto-compatible webhooks: map, sign, deliver and manage",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newEventsCmd(),
		newSignCmd(),
		newVerifyCmd(),
		newDevCmd(),
		newHooksCmd(), newSourcesCmd(),
		newDeliveriesCmd(),
		newDLQCmd(),
		newSendCmd(),
		newConsoleCmd(),
	)
	return root
}
