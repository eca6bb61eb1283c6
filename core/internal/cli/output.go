package cli

import (
	"encoding/json"
	"io"
	"text/tabwriter"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// short cuts a sum for tables; --json and errors carry full sums.
func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16] + "…"
	}
	if sum == "" {
		return "-"
	}
	return sum
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
