package retention

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// propertyRuns bounds each property test; the seeds are fixed, so a failure
// repeats.
const propertyRuns = 400

// propertyZones include zones whose DST changes happen at midnight
// (America/Santiago) or by half an hour (Australia/Lord_Howe).
var propertyZones = []string{"UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu"}

// scenario is one random input of Decide.
type scenario struct {
	p    Policy
	sets []Set
	opts Options
}

func randomScenario(t testing.TB, r *rand.Rand) scenario {
	loc := zone(t, propertyZones[r.IntN(len(propertyZones))])
	n := r.IntN(80)
	sets := make([]Set, n)
	ids := r.Perm(n)
	for i := range sets {
		created := now.Add(-time.Duration(r.Int64N(int64(3 * 366 * 24 * time.Hour))))
		if i > 0 && r.IntN(10) == 0 {
			created = sets[r.IntN(i)].Created // equal times happen: same-second runs
		}
		if r.IntN(20) == 0 {
			created = now.Add(-time.Duration(r.Int64N(int64(48 * time.Hour))))
		}
		sets[i] = Set{
			ID:       int64(ids[i]) + 1,
			Created:  created,
			Complete: r.IntN(100) < 85,
			Locked:   r.IntN(100) < 5,
			Running:  r.IntN(100) < 3,
		}
	}
	return scenario{p: randomPolicy(r), sets: sets, opts: Options{Now: now, Location: loc, IncompleteGrace: time.Duration(r.IntN(72)) * time.Hour}}
}

// randomPolicy is a valid policy of a random kind.
func randomPolicy(r *rand.Rand) Policy {
	c := func() int {
		if r.IntN(3) == 0 {
			return 0
		}
		return 1 + r.IntN(40)
	}
	var p Policy
	switch r.IntN(3) {
	case 0:
		p = Policy{Kind: KeepAll}
	case 1:
		p = Policy{Kind: Simple, KeepLast: c(), KeepDays: c()}
		if p.KeepLast == 0 && p.KeepDays == 0 {
			p.KeepDays = 1 + r.IntN(40)
		}
	default:
		p = Policy{Kind: GFS, KeepLast: c(), KeepDaily: c(), KeepWeekly: c(), KeepMonthly: c(), KeepYearly: c()}
		if p.KeepLast+p.KeepDaily+p.KeepWeekly+p.KeepMonthly+p.KeepYearly == 0 {
			p.KeepWeekly = 1 + r.IntN(40)
		}
	}
	return p
}

// larger returns p with one count it uses raised (possibly from 0).
func larger(r *rand.Rand, p Policy) Policy {
	by := 1 + r.IntN(20)
	switch p.Kind {
	case Simple:
		if r.IntN(2) == 0 {
			p.KeepLast += by
		} else {
			p.KeepDays += by
		}
	case GFS:
		switch r.IntN(5) {
		case 0:
			p.KeepLast += by
		case 1:
			p.KeepDaily += by
		case 2:
			p.KeepWeekly += by
		case 3:
			p.KeepMonthly += by
		default:
			p.KeepYearly += by
		}
	}
	return p
}

func keptSet(d Decision) map[int64]bool {
	m := map[int64]bool{}
	for _, k := range d.Keep {
		m[k.ID] = true
	}
	return m
}

func TestPropertyPartitionAndAlwaysKept(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for run := range propertyRuns {
		sc := randomScenario(t, r)
		d := Decide(sc.p, sc.sets, sc.opts)
		byID := map[int64]Set{}
		for _, s := range sc.sets {
			byID[s.ID] = s
		}
		seen := map[int64]int{}
		var order []Set
		for _, k := range d.Keep {
			seen[k.ID]++
			order = append(order, byID[k.ID])
			if len(k.Reasons) == 0 {
				t.Fatalf("run %d: set %d kept without a reason", run, k.ID)
			}
		}
		var newest *Set
		for i, s := range sc.sets {
			if s.Complete && (newest == nil || newerFirst(s, *newest) < 0) {
				newest = &sc.sets[i]
			}
		}
		var delOrder []Set
		for _, x := range d.Delete {
			seen[x.ID]++
			s := byID[x.ID]
			delOrder = append(delOrder, s)
			if x.Reason == "" {
				t.Fatalf("run %d: set %d deleted without a reason", run, x.ID)
			}
			if s.Locked || s.Running || (newest != nil && s.ID == newest.ID) {
				t.Fatalf("run %d: %v deleted set %+v (%s)", run, sc.p, s, x.Reason)
			}
		}
		for _, s := range sc.sets {
			if seen[s.ID] != 1 {
				t.Fatalf("run %d: set %d appears %d times in the decision", run, s.ID, seen[s.ID])
			}
		}
		if len(seen) != len(sc.sets) {
			t.Fatalf("run %d: decision names %d sets, input has %d", run, len(seen), len(sc.sets))
		}
		for _, list := range [][]Set{order, delOrder} {
			if !slices.IsSortedFunc(list, newerFirst) {
				t.Fatalf("run %d: decision not newest first", run)
			}
		}
	}
}

func TestPropertyIdempotent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for run := range propertyRuns {
		sc := randomScenario(t, r)
		first := Decide(sc.p, sc.sets, sc.opts)
		k := keptSet(first)
		var rest []Set
		for _, s := range sc.sets {
			if k[s.ID] {
				rest = append(rest, s)
			}
		}
		again := Decide(sc.p, rest, sc.opts)
		if len(again.Delete) > 0 {
			t.Fatalf("run %d: %v in %s deletes %v from what it kept", run, sc.p, sc.opts.Location, again.Delete)
		}
		if diff := cmp.Diff(first.Keep, again.Keep); diff != "" {
			t.Fatalf("run %d: reasons changed on the second pass (-first +again):\n%s", run, diff)
		}
	}
}

func TestPropertyMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for run := range propertyRuns {
		sc := randomScenario(t, r)
		big := larger(r, sc.p)
		small, large := keptSet(Decide(sc.p, sc.sets, sc.opts)), keptSet(Decide(big, sc.sets, sc.opts))
		for id := range small {
			if !large[id] {
				t.Fatalf("run %d: set %d kept by %v but not by the larger %v in %s", run, id, sc.p, big, sc.opts.Location)
			}
		}
	}
}

func TestPropertyInputOrderAndIncompleteSetsDoNotMatter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for run := range propertyRuns {
		sc := randomScenario(t, r)
		want := Decide(sc.p, sc.sets, sc.opts)

		shuffled := slices.Clone(sc.sets)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if diff := cmp.Diff(want, Decide(sc.p, shuffled, sc.opts)); diff != "" {
			t.Fatalf("run %d: input order changed the decision:\n%s", run, diff)
		}

		// Without the incomplete sets, the complete ones are decided alike.
		var complete []Set
		for _, s := range sc.sets {
			if s.Complete {
				complete = append(complete, s)
			}
		}
		only := Decide(sc.p, complete, sc.opts)
		isComplete := map[int64]bool{}
		for _, s := range complete {
			isComplete[s.ID] = true
		}
		var wantKeep []Kept
		for _, k := range want.Keep {
			if isComplete[k.ID] {
				wantKeep = append(wantKeep, k)
			}
		}
		if diff := cmp.Diff(wantKeep, only.Keep); diff != "" {
			t.Fatalf("run %d: incomplete sets changed what is kept (-with +without):\n%s", run, diff)
		}
	}
}

func TestPropertyInvalidPolicyDeletesNoCompleteSet(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bad := []Policy{
		{Kind: "forever", KeepLast: 1},
		{},
		{Kind: GFS},
		{Kind: Simple, KeepLast: -3},
		{Kind: GFS, KeepDaily: 7, KeepDays: 30},
		{Kind: KeepAll, KeepLast: 2},
	}
	for run := range propertyRuns / 4 {
		sc := randomScenario(t, r)
		p := bad[run%len(bad)]
		if p.Validate() == nil {
			t.Fatalf("%+v validates", p)
		}
		for _, x := range Decide(p, sc.sets, sc.opts).Delete {
			for _, s := range sc.sets {
				if s.ID == x.ID && s.Complete {
					t.Fatalf("run %d: invalid %+v deleted complete set %+v", run, p, s)
				}
			}
		}
	}
}
