package main

import "github.com/spf13/cobra"

func newSignCmd() *cobra.Command {
	return &cobra.Command{Use: "sign", Short: "Print the signature headers of a delivery"}
}

func newVerifyCmd() *cobra.Command {
	return &cobra.Command{Use: "verify", Short: "Verify a delivery's signature headers"}
}
