package main

import "github.com/spf13/cobra"

func newEventsCmd() *cobra.Command {
	return &cobra.Command{Use: "events", Short: "List events and map ingest records to events"}
}
