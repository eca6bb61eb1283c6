package retention

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goldenFile is what scripts/retention-golden.sh records from restic: every
// snapshot time as restic stored it, and per policy the times `restic forget`
// kept.
type goldenFile struct {
	Tool      string   `json:"tool"`
	Zone      string   `json:"zone"`
	Snapshots []string `json:"snapshots"`
	Policies  []struct {
		Last    int      `json:"last"`
		Daily   int      `json:"daily"`
		Weekly  int      `json:"weekly"`
		Monthly int      `json:"monthly"`
		Yearly  int      `json:"yearly"`
		Keep    []string `json:"keep"`
	} `json:"policies"`
}

// TestGoldenRestic: our gfs rule keeps exactly what restic's forget keeps
// over the same timestamps (docs/retention.md, "Checked against restic").
func TestGoldenRestic(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "restic-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/restic-*.json: run scripts/retention-golden.sh")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenFile
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatalf("decode %s: %v", file, err)
			}
			if len(g.Snapshots) < 200 || len(g.Policies) == 0 {
				t.Fatalf("%s: %d snapshots and %d policies: too little to check", file, len(g.Snapshots), len(g.Policies))
			}
			loc := zone(t, g.Zone)
			sets := make([]Set, len(g.Snapshots))
			byID := map[int64]string{}
			var newest time.Time
			for i, s := range g.Snapshots {
				created, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					t.Fatalf("snapshot %d: %v", i, err)
				}
				sets[i] = Set{ID: int64(i + 1), Created: created, Complete: true}
				byID[sets[i].ID] = s
				if created.After(newest) {
					newest = created
				}
			}
			for _, gp := range g.Policies {
				p := Policy{Kind: GFS, KeepLast: gp.Last, KeepDaily: gp.Daily, KeepWeekly: gp.Weekly, KeepMonthly: gp.Monthly, KeepYearly: gp.Yearly}
				t.Run(p.String(), func(t *testing.T) {
					d := Decide(p, sets, Options{Now: newest.Add(time.Hour), Location: loc})
					var got []string
					for _, k := range d.Keep {
						got = append(got, byID[k.ID])
					}
					want := slices.Clone(gp.Keep)
					slices.Sort(got)
					slices.Sort(want)
					if len(want) < 2 || len(want) == len(sets) {
						t.Fatalf("%s kept %d of %d: the policy checks nothing", g.Tool, len(want), len(sets))
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("kept in %s: %s (-) vs Decide (+):\n%s", g.Zone, g.Tool, diff)
					}
				})
			}
		})
	}
}
