package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTableFilters dumps with include-tables and exclude-tables and checks
// what arrives in the restored copy.
func TestTableFilters(t *testing.T) {
	cfg := testServer(t)
	source := uniqueName("dbk_filter")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	seedBlobs(t, cfg, source, 1)
	full := snapshot(t, cfg, source)

	for name, tc := range map[string]struct {
		field, value string
		keep         func(key string) bool
	}{
		"include": {fieldIncludeTables, "latin\nempty_one\nnot_there\n", func(k string) bool {
			return strings.HasSuffix(k, " latin") || strings.HasSuffix(k, " empty_one") || isRoutineOrEvent(k)
		}},
		"exclude": {fieldExcludeTables, "chunks", func(k string) bool { return !strings.HasSuffix(k, " chunks") }},
	} {
		t.Run(name, func(t *testing.T) {
			target := uniqueName("dbk_filter_copy")
			dropLater(t, cfg, target)
			dumpAndRestore(t, client(t), withField(cfg, tc.field, tc.value), source, target)
			got := snapshot(t, cfg, target)
			want := map[string][]row{}
			for k, v := range full {
				if tc.keep(k) {
					want[k] = v
				}
			}
			for _, k := range []string{"schema", "tables", "columns"} {
				delete(got, k) // whole-database lists, checked through the per-object keys
				delete(want, k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("restored copy with %s=%q (-want +got):\n%s", tc.field, tc.value, diff)
			}
		})
	}
}

func isRoutineOrEvent(key string) bool {
	for _, p := range []string{"procedure ", "function ", "event "} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
