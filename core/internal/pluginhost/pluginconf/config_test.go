package pluginconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plugins.hcl")
	src := `
plugin_dir = "bin/plugins"

trust {
  policy = "pinned"
}

plugin "storage-local" {
  enabled = false
}

plugin "database-sqlite" {}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:     path,
		Dir:      filepath.Join(dir, "bin", "plugins"),
		Policy:   PolicyPinned,
		LockFile: filepath.Join(dir, "plugins.lock.hcl"),
		Plugins: map[string]PluginSettings{
			"storage-local":   {Enabled: false},
			"database-sqlite": {Enabled: true},
		},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cfg.Enabled("storage-local") || !cfg.Enabled("database-sqlite") || !cfg.Enabled("notification-webhook") {
		t.Errorf("Enabled: got storage-local=%v database-sqlite=%v notification-webhook=%v",
			cfg.Enabled("storage-local"), cfg.Enabled("database-sqlite"), cfg.Enabled("notification-webhook"))
	}
}

func TestParseConfigAbsoluteDirAndDefaultPolicy(t *testing.T) {
	cfg, err := Parse([]byte(`plugin_dir = "/opt/dbkeep/plugins"`), "/etc/dbkeep/plugins.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != "/opt/dbkeep/plugins" || cfg.Policy != PolicyPinned || cfg.LockFile != "/etc/dbkeep/plugins.lock.hcl" {
		t.Errorf("got dir %q policy %q lock %q", cfg.Dir, cfg.Policy, cfg.LockFile)
	}
}

// Every content error names the file and the line of the mistake.
func TestConfigErrorsCarryFileAndLine(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"syntax", "plugin_dir = \"x\"\ntrust {\n  policy = \n}\n", "plugins.hcl:3,"},
		{"unknown policy", "plugin_dir = \"x\"\n\ntrust {\n  policy = \"anything\"\n}\n", "plugins.hcl:4,12: Unknown trust policy"},
		{"unknown argument", "plugin_dir = \"x\"\nplugins_dir = \"y\"\n", "plugins.hcl:2,1: Unsupported argument"},
		{"misspelt block", "plugin_dir = \"x\"\n\ntrusted {\n  policy = \"pinned\"\n}\n", "plugins.hcl:3,1: Unsupported block type"},
		{"missing plugin_dir", "trust {\n  policy = \"pinned\"\n}\n", "plugins.hcl:1,1: Missing required argument"},
		{"empty plugin_dir", "\nplugin_dir = \"\"\n", "plugins.hcl:2,14: Empty plugin_dir"},
		{"bad id", "plugin_dir = \"x\"\nplugin \"tape-drive\" {}\n", "plugins.hcl:2,1: Invalid plugin id"},
		{"duplicate", "plugin_dir = \"x\"\nplugin \"storage-s3\" {}\nplugin \"storage-s3\" {}\n", "plugins.hcl:3,1: Duplicate plugin block"},
		{"enabled not bool", "plugin_dir = \"x\"\nplugin \"storage-s3\" {\n  enabled = \"nope\"\n}\n", "plugins.hcl:3,"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "plugins.hcl")
			if err == nil {
				t.Fatalf("Parse accepted %q", c.src)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error is %T, want *Error", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "plugins.hcl"))
	if err == nil || !strings.Contains(err.Error(), "plugins.hcl") {
		t.Errorf("Load of a missing file: got %v, want an error naming the file", err)
	}
}
