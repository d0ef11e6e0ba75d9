package main

import (
	"bytes"
	"encoding/json"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// printResult prints v as JSON when the user passed --json, else as text for
// people, so each command states only its text form.
func printResult(cmd *cobra.Command, asJSON bool, v any, text func(w io.Writer) error) error {
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, v)
	}
	return text(out)
}

// writeJSON prints v indented, without HTML escaping (URLs keep their &).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// newTable aligns tab-separated cells the same way in every table the CLI prints.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}
