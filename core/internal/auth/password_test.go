package auth

import (
	"context"
	"runtime"
	"strings"
	"testing"
)

var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordHashRoundTrip(t *testing.T) {
	phc, err := hashPassword("pässword with ünïcode", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("PHC string %q", phc)
	}
	if ok, stale, err := verifyPassword("pässword with ünïcode", phc, cheap); !ok || stale || err != nil {
		t.Fatalf("right password: %v %v %v", ok, stale, err)
	}
	if ok, _, err := verifyPassword("password with unicode", phc, cheap); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	// Parameters travel with the hash: a hash made with other ones still
	// verifies and is reported stale.
	if ok, stale, err := verifyPassword("pässword with ünïcode", phc, DefaultPasswordParams); !ok || !stale || err != nil {
		t.Fatalf("under new defaults: %v %v %v, want match and stale", ok, stale, err)
	}
	other, _ := hashPassword("pässword with ünïcode", cheap)
	if other == phc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestPasswordHashRejectsDamage(t *testing.T) {
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if _, _, err := verifyPassword("x", bad, cheap); err == nil {
			t.Errorf("verifyPassword accepted %q", bad)
		}
	}
}

func TestHasherUnknownAccountNeverMatches(t *testing.T) {
	h, err := newHasher(cheap, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.verify(context.Background(), "dbkeep: no such account", ""); ok || err != nil {
		t.Fatalf("empty hash matched: %v %v", ok, err)
	}
}

// allocated returns how many bytes f allocates (the argon2id memory
// dominates: Memory KiB per run).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The dummy hash of unknown accounts costs nothing at start (the idle
// core's memory floor), and verifying against it runs the same argon2id as
// a wrong password against a real hash, from the first attempt on, so
// response times do not tell unknown names from known ones.
func TestHasherDummyCostsNothingUntilUsed(t *testing.T) {
	ctx := context.Background()
	p := DefaultPasswordParams
	var h *hasher
	if n := allocated(func() {
		var err error
		if h, err = newHasher(p, 1); err != nil {
			t.Fatal(err)
		}
	}); n > 1<<20 {
		t.Errorf("newHasher allocated %d bytes: it ran argon2id (%d KiB) at start", n, p.Memory)
	}
	got, salt, key, err := parsePHC(h.dummy)
	if err != nil || got != p || len(salt) != saltLen || len(key) != hashLen {
		t.Fatalf("dummy %q: parameters %+v, salt %d bytes, key %d bytes, %v; want those of a real hash", h.dummy, got, len(salt), len(key), err)
	}
	if other, _ := newHasher(p, 1); other.dummy == h.dummy {
		t.Error("two hashers have the same dummy: it is not random")
	}
	real, err := hashPassword("the right one", p)
	if err != nil {
		t.Fatal(err)
	}
	wrong := allocated(func() { h.verify(ctx, "a wrong one", real) })
	for attempt := range 2 {
		unknown := allocated(func() { h.verify(ctx, "a wrong one", "") })
		if unknown < wrong*9/10 {
			t.Errorf("unknown account, attempt %d: verifying allocated %d bytes, a wrong password %d: not the same argon2id run", attempt+1, unknown, wrong)
		}
		if unknown > wrong*11/10 {
			t.Errorf("unknown account, attempt %d: verifying allocated %d bytes, a wrong password %d: more work than a real verification", attempt+1, unknown, wrong)
		}
	}
}

func BenchmarkDefaultPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("correct horse battery staple", DefaultPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}
