package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// testDescribe: the plugin says it is a storage plugin, with a description
// the core accepts and capabilities matching what it implements.
func (k *kit) testDescribe(t *testing.T) {
	d := k.desc
	if d.Kind != spec.KindStorage {
		t.Errorf("kind %q, want %q", d.Kind, spec.KindStorage)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("description does not validate: %v", err)
	}
	if d.ProtocolMajor != spec.ProtocolMajor {
		t.Errorf("protocol major %d, want %d", d.ProtocolMajor, spec.ProtocolMajor)
	}
	if d.DisplayName == "" {
		t.Error("display name is empty")
	}
	seen := map[spec.Capability]bool{}
	for _, c := range d.Capabilities {
		if seen[c] {
			t.Errorf("capability %q listed twice", c)
		}
		seen[c] = true
	}
	if err := d.Schema.Validate(k.cfg); err != nil {
		t.Errorf("Options.Config does not fit the plugin's schema: %v", err)
	}
	if k.obs == nil {
		return
	}
	// Served through the kit's observer, the plugin must describe itself as
	// it would served directly.
	want, err := k.opts.Plugin.Describe()
	if err != nil {
		t.Fatalf("Plugin.Describe: %v", err)
	}
	if d.ID != want.ID || d.Version != want.Version || !slices.Equal(d.Capabilities, want.Capabilities) {
		t.Errorf("served description %s %s %v, the plugin's own %s %s %v",
			d.ID, d.Version, d.Capabilities, want.ID, want.Version, want.Capabilities)
	}
	if got, want := fieldNames(d.Schema), fieldNames(want.Schema); !slices.Equal(got, want) {
		t.Errorf("served schema fields %v, the plugin's own %v", got, want)
	}
}

func fieldNames(s spec.Schema) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, fmt.Sprintf("%s:%s", f.Name, f.Type))
	}
	return out
}

// testValidateConfig: the valid configuration passes; each invalid one is
// refused with field errors naming its fields, by ValidateConfig and by any
// storage call made with it.
func (k *kit) testValidateConfig(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		if err := k.conn.ValidateConfig(k.ctx(t), k.cfg); err != nil {
			t.Fatalf("Options.Config refused: %v", err)
		}
	})
	for i, ic := range k.opts.InvalidConfigs {
		name := ic.Name
		if name == "" {
			name = fmt.Sprintf("invalid-%d", i)
		}
		t.Run(name, func(t *testing.T) {
			err := k.conn.ValidateConfig(k.ctx(t), ic.Config)
			checkFields(t, "ValidateConfig", err, ic.Fields)
			_, err = k.st.Stat(k.ctx(t), ic.Config, "validate/probe")
			checkFields(t, "Stat with the configuration", err, ic.Fields)
		})
	}
}

func checkFields(t *testing.T, what string, err error, fields []string) {
	t.Helper()
	fe := spec.FieldErrors(err)
	if fe == nil {
		t.Errorf("%s: got %v, want field errors naming %q", what, err, fields)
		return
	}
	for _, want := range fields {
		if !slices.ContainsFunc(fe, func(f spec.FieldError) bool { return f.Field == want }) {
			t.Errorf("%s: errors %v do not name field %q", what, fe, want)
		}
	}
	for _, f := range fe {
		if f.Message == "" {
			t.Errorf("%s: field %q has an error without a message", what, f.Field)
		}
	}
}

// testTest: Test succeeds on the valid location with a one-line description,
// and its probe object is gone afterwards.
func (k *kit) testTest(t *testing.T) {
	detail, err := k.st.Test(k.ctx(t), k.cfg)
	if err != nil {
		t.Fatalf("test: %v", err)
	}
	if !oneLine(detail) {
		t.Errorf("test detail %q: want one non-empty line", detail)
	}
	k.settle(t)
	k.checkListing(t)
}

// testUsage: with spec.CapUsage, sane numbers; without, ErrUnsupported.
func (k *kit) testUsage(t *testing.T) {
	u, err := k.st.Usage(k.ctx(t), k.cfg)
	if !k.desc.Has(spec.CapUsage) {
		if !errors.Is(err, spec.ErrUnsupported) {
			t.Fatalf("usage without the %q capability: got %+v, %v; want an error matching spec.ErrUnsupported", spec.CapUsage, u, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	for name, v := range map[string]int64{"used": u.UsedBytes, "free": u.FreeBytes, "total": u.TotalBytes} {
		if v < -1 {
			t.Errorf("usage: %s bytes %d; want -1 (unknown) or more", name, v)
		}
	}
	if u.UsedBytes == -1 && u.FreeBytes == -1 && u.TotalBytes == -1 {
		t.Errorf("usage: every number unknown; a plugin that cannot tell should not implement UsageReporter")
	}
	if u.TotalBytes >= 0 {
		if u.FreeBytes > u.TotalBytes {
			t.Errorf("usage: %d bytes free of %d total", u.FreeBytes, u.TotalBytes)
		}
		if u.UsedBytes > u.TotalBytes {
			t.Errorf("usage: %d bytes used of %d total", u.UsedBytes, u.TotalBytes)
		}
	}
}
