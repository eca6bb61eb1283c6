package databasetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// rowCounts checks CountRows, the call restore drills rely on: the seeded
// tables are counted exactly, a missing database is spec.ErrNotFound, and a
// dump restored under a new name counts the same, table for table.
func (k *kit) rowCounts(t *testing.T) {
	if !k.countsRows {
		t.Skipf("plugin %s does not count rows (no capability %q): not applicable", k.desc.ID, spec.CapRowCount)
	}
	source := k.countRows(t, k.o.Database)
	got := map[string]database.TableRows{}
	for _, r := range source {
		got[tableKey(r)] = r
	}
	for _, want := range k.o.SeededRows {
		r, ok := got[tableKey(want)]
		switch {
		case !ok:
			t.Errorf("CountRows(%q): seeded table %s missing from %s", k.o.Database, tableKey(want), formatRows(source))
		case r.Rows != want.Rows:
			t.Errorf("CountRows(%q): table %s has %d rows, the seed put %d", k.o.Database, tableKey(want), r.Rows, want.Rows)
		}
	}

	ctx, cancel := k.ctx(t)
	_, err := k.db.CountRows(ctx, k.o.Config, database.CountRowsRequest{Database: k.o.MissingDatabase})
	cancel()
	if !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("CountRows of missing database %q = %v, want an error matching spec.ErrNotFound", k.o.MissingDatabase, err)
	}

	if !k.restores {
		return
	}
	rec := k.dumpOf(t, k.o.Database)
	target := k.restore(t, rec, "dump of "+k.o.Database)
	restored := k.countRows(t, target)
	if a, b := formatRows(source), formatRows(restored); a != b {
		t.Errorf("row counts of restored %q differ from its source %q:\nsource:   %s\nrestored: %s", target, k.o.Database, a, b)
	}
}

// countRows calls CountRows for exact counts and checks the shape of the
// answer: named tables, each once, exact, not negative.
func (k *kit) countRows(t *testing.T, name string) []database.TableRows {
	t.Helper()
	ctx, cancel := k.ctx(t)
	defer cancel()
	rows, err := k.db.CountRows(ctx, k.o.Config, database.CountRowsRequest{Database: name})
	if err != nil {
		t.Fatalf("CountRows(%q): %v", name, err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		key := tableKey(r)
		if r.Table == "" {
			t.Errorf("CountRows(%q): an entry without a table name: %+v", name, r)
		}
		if seen[key] {
			t.Errorf("CountRows(%q): table %s listed twice", name, key)
		}
		seen[key] = true
		if !r.Exact {
			t.Errorf("CountRows(%q): table %s counted as an estimate; without Estimate every count must be exact", name, key)
		}
		if r.Rows < 0 {
			t.Errorf("CountRows(%q): table %s has %d rows", name, key, r.Rows)
		}
	}
	return rows
}

// tableKey names a table unambiguously in messages: schema and table quoted.
func tableKey(r database.TableRows) string {
	return fmt.Sprintf("%q.%q", r.Schema, r.Table)
}

// formatRows is a canonical, sorted rendering of counts, for comparison and
// for messages.
func formatRows(rows []database.TableRows) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = fmt.Sprintf("%s=%d", tableKey(r), r.Rows)
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}
