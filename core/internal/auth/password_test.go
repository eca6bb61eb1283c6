package auth

import (
	"context"
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

func BenchmarkDefaultPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("correct horse battery staple", DefaultPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}
