package depcheck

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	repo = "github.com/dbkeep/dbkeep"
	sdk  = repo + "/sdk"
)

// rootDir is the repository root, two levels above this package.
func rootDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// deps lists, for every package matched by pattern in dir (and its test
// variants), the packages of this repository it depends on.
func deps(t *testing.T, dir, pattern string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-test", "-json=ImportPath,Deps", pattern)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s in %s: %v\n%s", pattern, dir, err, stderr.String())
	}
	result := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		// Test variants read "pkg [pkg.test]"; attribute them to pkg.
		pkg := strings.SplitN(p.ImportPath, " ", 2)[0]
		if strings.HasSuffix(pkg, ".test") {
			continue // the generated test main imports only the packages under test
		}
		for _, d := range p.Deps {
			d = strings.SplitN(d, " ", 2)[0]
			if under(d, repo) {
				result[pkg] = append(result[pkg], d)
			}
		}
	}
	if len(result) == 0 {
		t.Fatalf("go list %s in %s matched nothing of this repository: the check would prove nothing", pattern, dir)
	}
	return result
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

// own reports whether dep belongs to the same plugin (or example) as pkg:
// plugins/<kind>/<name>/... may import its own subpackages.
func own(pkg, dep string, depth int) bool {
	parts := strings.Split(pkg, "/")
	base := len(strings.Split(repo, "/"))
	if len(parts) < base+depth {
		return false
	}
	return under(dep, strings.Join(parts[:base+depth], "/"))
}

func TestPluginsImportOnlyTheSDK(t *testing.T) {
	for pkg, ds := range deps(t, rootDir(t), "./plugins/...") {
		for _, d := range ds {
			if !under(d, sdk) && !own(pkg, d, 3) {
				t.Errorf("%s imports %s: plugins may import only %s", pkg, d, sdk)
			}
		}
	}
}

func TestSDKImportsNothingOfTheRepository(t *testing.T) {
	for pkg, ds := range deps(t, filepath.Join(rootDir(t), "sdk"), "./...") {
		for _, d := range ds {
			if !under(d, sdk) {
				t.Errorf("%s imports %s: the SDK must not depend on the core or plugins", pkg, d)
			}
		}
	}
}

func TestCoreNeverImportsAPlugin(t *testing.T) {
	for pkg, ds := range deps(t, rootDir(t), "./core/...") {
		for _, d := range ds {
			if under(d, repo+"/plugins") || under(d, repo+"/examples") {
				t.Errorf("%s imports %s: the core talks to plugins only over the protocol", pkg, d)
			}
		}
	}
}

func TestExamplesImportOnlyTheSDK(t *testing.T) {
	root := rootDir(t)
	entries, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, "examples", e.Name())
		for pkg, ds := range deps(t, dir, "./...") {
			for _, d := range ds {
				if !under(d, sdk) && !own(pkg, d, 2) {
					t.Errorf("%s imports %s: examples may import only %s", pkg, d, sdk)
				}
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no example found under examples/: the check would prove nothing")
	}
}
