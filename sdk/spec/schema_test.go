package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testSchema = Schema{Fields: []Field{
	{Name: "host", Label: "Host", Type: String, Required: true},
	{Name: "port", Label: "Port", Type: Int, Default: "5432"},
	{Name: "tls", Label: "TLS", Type: Bool},
	{Name: "mode", Label: "Mode", Type: Select, Options: []Option{{Value: "a"}, {Value: "b"}}},
	{Name: "password", Label: "Password", Type: Secret},
	{Name: "key", Label: "Key", Type: File, Sensitive: true},
}}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []FieldError
	}{
		{"valid", Config{"host": "db", "port": "1", "tls": "true", "mode": "b"}, nil},
		{"defaults satisfy nothing required", Config{}, []FieldError{{"host", "is required"}}},
		{"empty string is missing", Config{"host": ""}, []FieldError{{"host", "is required"}}},
		{"every bad field named", Config{"host": "db", "port": "x", "tls": "yes!", "mode": "c", "zz": "1", "aa": "2"}, []FieldError{
			{"port", "must be a whole number"},
			{"tls", "must be true or false"},
			{"mode", `must be one of ["a" "b"]`},
			{"aa", "is not a field of this plugin"},
			{"zz", "is not a field of this plugin"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := testSchema.Validate(tc.cfg)
			if diff := cmp.Diff(tc.want, FieldErrors(err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			if (err == nil) != (tc.want == nil) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestWithDefaultsAndRedacted(t *testing.T) {
	cfg := testSchema.WithDefaults(Config{"host": "db", "password": "hunter2", "key": "PEM"})
	if cfg["port"] != "5432" {
		t.Errorf("default not applied: %v", cfg)
	}
	red := cfg.Redacted(testSchema)
	if red["password"] != Mask || red["key"] != Mask || red["host"] != "db" {
		t.Errorf("redacted: %v", red)
	}
	if got := cfg.GoString(); got != "spec.Config{4 fields}" {
		t.Errorf("GoString leaks or miscounts: %q", got)
	}
}

func TestSchemaCheck(t *testing.T) {
	for name, s := range map[string]Schema{
		"unnamed":        {Fields: []Field{{Type: String}}},
		"twice":          {Fields: []Field{{Name: "a", Type: String}, {Name: "a", Type: Int}}},
		"unknown type":   {Fields: []Field{{Name: "a", Type: "colour"}}},
		"empty select":   {Fields: []Field{{Name: "a", Type: Select}}},
		"bad default":    {Fields: []Field{{Name: "a", Type: Int, Default: "ten"}}},
		"upper-case key": {Fields: []Field{{Name: "Host", Type: String}}},
	} {
		if err := s.check(); err == nil {
			t.Errorf("%s: schema accepted", name)
		}
	}
}

func TestDescriptionValidate(t *testing.T) {
	d := Description{ID: "storage-x", Kind: KindStorage, Name: "x", Version: "1.0.0", Schema: testSchema}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	d.ID = "storage-y"
	if err := d.Validate(); err == nil {
		t.Error("mismatched id accepted")
	}
}

func TestConfigAccessors(t *testing.T) {
	cfg := Config{"n": "42", "b": "true", "bad": "x"}
	if n, err := cfg.Int("n"); n != 42 || err != nil {
		t.Errorf("Int = %d, %v", n, err)
	}
	if b, err := cfg.Bool("b"); !b || err != nil {
		t.Errorf("Bool = %v, %v", b, err)
	}
	var ve *ValidationError
	if _, err := cfg.Int("bad"); !errors.As(err, &ve) || ve.Fields[0].Field != "bad" {
		t.Errorf("Int(bad) = %v", err)
	}
}
