package configuration_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// TestRecoveryKitAPI downloads a profile's kit through the API and opens
// with it an object encrypted under the profile's stored key.
func TestRecoveryKitAPI(t *testing.T) {
	e := newEnv(t)
	p := e.profile("Offsite tapes")

	req := httptest.NewRequest("GET", api.Prefix+fmt.Sprintf("/encryption-profiles/%d/recovery-kit", p.ID), nil)
	resp, err := e.app.Test(req, fiber.TestConfig{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	kit, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d\n%s", resp.StatusCode, kit)
	}
	for header, want := range map[string]string{
		"Content-Type":        "application/zip",
		"Content-Disposition": `attachment; filename="dbkeep-recovery-kit-Offsite-tapes.zip"`,
		"Cache-Control":       "no-store",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	kf, err := recoverykit.ReadKit(bytes.NewReader(kit), int64(len(kit)))
	if err != nil {
		t.Fatal(err)
	}
	if kf.KeyID != p.KeyID || kf.Profile != p.Name || kf.ProfileID != p.ID {
		t.Fatalf("kit holds %s, want the key of profile %d %q (%s)", kf, p.ID, p.Name, p.KeyID)
	}

	// The kit's key is the profile's: it opens what the engine encrypts.
	stored, err := e.st.EncryptionProfiles().Key(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var obj bytes.Buffer
	w, err := dbk1.NewWriter(&obj, stored)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("a dump"))
	w.Close()
	r, err := dbk1.NewReader(&obj, kf.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || string(got) != "a dump" {
		t.Fatalf("opened with the kit's key: %q, %v", got, err)
	}

	// The download is audited, without the key.
	entries, _, err := e.st.Audit().List(t.Context(), store.AuditFilter{Action: "encryption-profiles.recovery-kit"}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].TargetID != fmt.Sprint(p.ID) {
		t.Fatalf("audit entries %+v, want one for profile %d", entries, p.ID)
	}
	if s := fmt.Sprintf("%+v", entries); strings.Contains(s, base64.StdEncoding.EncodeToString(stored)) {
		t.Fatal("the audit entry holds the key")
	}

	// An unknown profile is the usual JSON 404.
	if a := e.call("GET", "/encryption-profiles/999/recovery-kit", nil); a.Status != 404 || a.Success {
		t.Fatalf("unknown profile: %d %s", a.Status, a.Raw)
	}
}
