package retention

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkDecide10k decides over ten thousand sets: four a day for about
// seven years, in a zone with DST, with the fullest GFS policy.
func BenchmarkDecide10k(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	sets := make([]Set, 10000)
	for i := range sets {
		sets[i] = Set{
			ID:       int64(i + 1),
			Created:  now.Add(-time.Duration(i)*6*time.Hour - time.Duration(r.IntN(3600))*time.Second),
			Complete: r.IntN(50) != 0,
			Locked:   r.IntN(500) == 0,
		}
	}
	r.Shuffle(len(sets), func(i, j int) { sets[i], sets[j] = sets[j], sets[i] })
	opts := Options{Now: now, Location: zone(b, "Europe/Berlin"), IncompleteGrace: 24 * time.Hour}
	p := Policy{Kind: GFS, KeepLast: 10, KeepDaily: 60, KeepWeekly: 52, KeepMonthly: 120, KeepYearly: 50}
	b.ReportAllocs()
	for b.Loop() {
		d := Decide(p, sets, opts)
		if len(d.Keep)+len(d.Delete) != len(sets) {
			b.Fatal("decision lost sets")
		}
	}
}
