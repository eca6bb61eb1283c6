package seal

import (
	"bytes"
	"errors"
	"testing"
)

func mustSealer(t *testing.T) *Sealer {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	s := mustSealer(t)
	for _, pt := range [][]byte{{}, []byte("p@ss"), bytes.Repeat([]byte{0xAB}, 70000)} {
		ad := AD("sources", 7, "secrets")
		sealed, err := s.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != len(pt)+Overhead || sealed[0] != version1 {
			t.Fatalf("sealed layout: len %d for %d bytes, version %d", len(sealed), len(pt), sealed[0])
		}
		if len(pt) > 4 && bytes.Contains(sealed, pt[:4]) {
			t.Fatal("plaintext visible in sealed value")
		}
		got, err := s.Open(sealed, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatal("round trip changed the value")
		}
	}
}

func TestSealNoncesDiffer(t *testing.T) {
	s := mustSealer(t)
	a, _ := s.Seal([]byte("same"), nil)
	b, _ := s.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value are identical: nonce reused")
	}
}

func TestOpenFailures(t *testing.T) {
	s := mustSealer(t)
	other := mustSealer(t)
	ad := AD("sources", 1, "secrets")
	sealed, err := s.Seal([]byte("secret"), ad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		sealer  *Sealer
		value   []byte
		ad      []byte
		wantErr error
	}{
		{"wrong key", other, sealed, ad, ErrOpen},
		{"flipped nonce", s, flip(1), ad, ErrOpen},
		{"flipped ciphertext", s, flip(1 + nonceSize), ad, ErrOpen},
		{"flipped tag", s, flip(len(sealed) - 1), ad, ErrOpen},
		{"truncated", s, sealed[:len(sealed)-1], ad, ErrOpen},
		{"too short", s, sealed[:Overhead-1], ad, ErrOpen},
		{"another row", s, sealed, AD("sources", 2, "secrets"), ErrOpen},
		{"another table", s, sealed, AD("destinations", 1, "secrets"), ErrOpen},
		{"another column", s, sealed, AD("sources", 1, "key"), ErrOpen},
		{"no AD", s, sealed, nil, ErrOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.sealer.Open(tt.value, tt.ad)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open: got %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("unknown version", func(t *testing.T) {
		b := bytes.Clone(sealed)
		b[0] = 2
		_, err := s.Open(b, ad)
		if err == nil || errors.Is(err, ErrOpen) {
			t.Fatalf("Open of version 2: got %v, want a version error", err)
		}
	})
}

func TestKeyIDTellsKeysApart(t *testing.T) {
	k, _ := GenerateKey()
	a, _ := New(k)
	b, _ := New(k)
	c := mustSealer(t)
	if a.KeyID() != b.KeyID() || a.KeyID() == c.KeyID() || len(a.KeyID()) != 16 {
		t.Fatalf("key ids: %q %q %q", a.KeyID(), b.KeyID(), c.KeyID())
	}
}
