package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type fakeState struct{ err error }

func (f fakeState) Ping(context.Context) error { return f.err }
func (fakeState) SchemaVersion() uint          { return 3 }

func TestHealthReportsState(t *testing.T) {
	tests := []struct {
		name       string
		state      StateReporter
		wantStatus string
		wantState  *StateHealth
	}{
		{"no state", nil, "ok", nil},
		{"state answers", fakeState{}, "ok", &StateHealth{Status: "ok", SchemaVersion: 3}},
		{"state fails", fakeState{errors.New("disk I/O error")}, "degraded",
			&StateHealth{Status: "unavailable", SchemaVersion: 3, Error: "disk I/O error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(Options{Version: "1.0.0", State: tt.state})
			resp, err := srv.App().Test(httptest.NewRequest("GET", "/healthz", nil), patient)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var h Health
			if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
				t.Fatal(err)
			}
			if h.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", h.Status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantState, h.State); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}
