package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// TestResetPassword runs `dbkeep admin reset-password` against a data
// directory another store handle holds open, as a running serve would.
func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := openState(ctx, data, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := auth.New(ctx, auth.Options{Store: st, PasswordParams: &auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Setup(ctx, auth.NewAccount{Username: "admin", Password: "the old password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, auth.Credentials{Username: "admin", Password: "the old password"}, auth.Client{IP: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("the new password\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCtx(ctx, "admin", "reset-password", "admin", "--data", data, "--password-file", file); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable password file: %v, want a refusal saying chmod 600", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCtx(ctx, "admin", "reset-password", "admin", "--data", data, "--password-file", file)
	if err != nil {
		t.Fatalf("reset-password: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Password of admin set") {
		t.Fatalf("output %q", out)
	}
	if n, err := st.Sessions().DeleteForUser(ctx, admin.ID, 0); err != nil || n != 0 {
		t.Fatalf("%d sessions survived the reset (%v)", n, err)
	}
	if _, err := svc.Login(ctx, auth.Credentials{Username: "admin", Password: "the old password"}, auth.Client{IP: "127.0.0.1"}); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("old password after reset: %v", err)
	}
	if _, err := svc.Login(ctx, auth.Credentials{Username: "admin", Password: "the new password"}, auth.Client{IP: "127.0.0.1"}); err != nil {
		t.Fatalf("new password from the file (newline trimmed): %v", err)
	}

	// Piped standard input; a short password is refused naming the field.
	for _, tc := range []struct{ in, user, wantErr string }{
		{"short\n", "admin", "password: must be at least 12 characters"},
		{"yet another password\n", "nobody", `no user is named "nobody"`},
		{"yet another password\n", "ADMIN", ""},
	} {
		var o, e bytes.Buffer
		root := NewRoot()
		root.SetArgs([]string{"admin", "reset-password", tc.user, "--data", data})
		root.SetIn(strings.NewReader(tc.in))
		root.SetOut(&o)
		root.SetErr(&e)
		err := root.ExecuteContext(ctx)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("reset-password %s with %q: %v, want %q", tc.user, tc.in, err, tc.wantErr)
		}
	}
	if _, err := svc.Login(ctx, auth.Credentials{Username: "admin", Password: "yet another password"}, auth.Client{IP: "127.0.0.1"}); err != nil {
		t.Fatalf("password from stdin: %v", err)
	}
	entries, _, err := st.Audit().List(ctx, store.AuditFilter{Action: "users.set_password"}, store.Page{})
	if err != nil || len(entries) != 2 || entries[0].Actor != "dbkeep admin (command line)" {
		t.Fatalf("audit entries %+v %v, want two by the command line", entries, err)
	}
}
