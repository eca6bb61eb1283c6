package auth

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func newService(t *testing.T) (*Service, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	svc, err := New(ctx, Options{Store: st, PasswordParams: &cheap})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// Concurrent setups: exactly one wins, the others get ErrSetupDone.
func TestSetupRace(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = svc.Setup(ctx, NewAccount{Username: "admin" + string(rune('a'+i)), Password: "a long enough password"})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrSetupDone):
			t.Errorf("setup: %v", err)
		}
	}
	if n, _ := st.Users().Count(ctx); won != 1 || n != 1 {
		t.Fatalf("%d setups succeeded, %d users exist; want 1 and 1", won, n)
	}
}

func TestSetupValidates(t *testing.T) {
	svc, _ := newService(t)
	_, err := svc.Setup(context.Background(), NewAccount{Username: "bad name", Password: "short", Email: "nope"})
	if fields := fieldErrors(err); len(fields) != 3 {
		t.Fatalf("errors %v, want username, password and email named", err)
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.Setup(ctx, NewAccount{Username: "admin", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, NewAccount{Username: "ann", Password: "ann's long password"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := svc.UpdateUser(ctx, nil, u.ID, UserChanges{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, Credentials{Username: "ann", Password: "ann's long password"}, Client{IP: "127.0.0.1"}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled user signed in: %v", err)
	}
	if _, err := svc.Login(ctx, Credentials{Username: "nobody", Password: "whatever it is"}, Client{IP: "127.0.0.1"}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("unknown user: %v", err)
	}
}

func fieldErrors(err error) []string {
	var out []string
	for _, f := range spec.FieldErrors(err) {
		out = append(out, f.Field)
	}
	return out
}
