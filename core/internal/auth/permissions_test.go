package auth

import (
	"regexp"
	"testing"
)

// The state database accepts any "resource:action"; the catalogue must keep
// that shape and list each permission once.
func TestCatalogueShape(t *testing.T) {
	shape := regexp.MustCompile(`^[a-z][a-z-]*:[a-z]+$`)
	seen := map[Permission]bool{}
	for _, info := range Catalogue() {
		if !shape.MatchString(string(info.Permission)) {
			t.Errorf("%q is not resource:action", info.Permission)
		}
		if seen[info.Permission] {
			t.Errorf("%q listed twice", info.Permission)
		}
		seen[info.Permission] = true
		if info.Description == "" {
			t.Errorf("%q has no description", info.Permission)
		}
	}
}

func TestParsePermissions(t *testing.T) {
	got, err := ParsePermissions([]string{"jobs:read", "users:read", "jobs:read"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != JobsRead || got[1] != UsersRead {
		t.Fatalf("got %v, want sorted unique [jobs:read users:read]", got)
	}
	if _, err := ParsePermissions([]string{"jobs:read", "jobs:fly"}); err == nil || err.Error() != `unknown permission "jobs:fly"` {
		t.Fatalf("err = %v, want it to name jobs:fly", err)
	}
}

func TestPrincipalHas(t *testing.T) {
	p := &Principal{Permissions: []Permission{JobsRead, UsersRead}}
	if !p.Has(JobsRead) || p.Has(JobsWrite) {
		t.Fatal("Has does not answer from the set")
	}
	var none *Principal
	if none.Has(JobsRead) {
		t.Fatal("a nil principal holds nothing")
	}
}
