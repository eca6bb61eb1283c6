package configuration

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestConfigInputToConfig(t *testing.T) {
	var in ConfigInput
	if err := json.Unmarshal([]byte(`{"host":"db","port":5432,"ratio":0.5,"tls":true,"note":null,"big":12345678901234567890,"bad":{"a":1},"list":[1]}`), &in); err != nil {
		t.Fatal(err)
	}
	var errs spec.ValidationError
	got := in.toConfig(&errs)
	want := spec.Config{"host": "db", "port": "5432", "ratio": "0.5", "tls": "true", "note": "", "big": "12345678901234567890"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	wantErrs := []spec.FieldError{
		{Field: "config.bad", Message: "must be a string, a number or true/false, not an object or array"},
		{Field: "config.list", Message: "must be a string, a number or true/false, not an object or array"},
	}
	if diff := cmp.Diff(wantErrs, errs.Fields); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestCheckSchedule(t *testing.T) {
	for expr, ok := range map[string]bool{
		"30 2 * * *":     true,
		"*/15 * * * 1-5": true,
		"@daily":         true,
		"@hourly":        true,
		"61 * * * *":     false,
		"* * * *":        false,
		"0 30 2 * * *":   false, // seconds field
		"@everysecond":   false,
		"@fortnightly":   false,
		"0 0 30 2 *":     false, // never fires
		"not cron":       false,
	} {
		if msg := checkSchedule(expr); (msg == "") != ok {
			t.Errorf("checkSchedule(%q) = %q, want valid=%v", expr, msg, ok)
		}
	}
}
