package storagetest

import (
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// testList: List reports every object whose name starts with the prefix,
// as a string prefix and not only at folder boundaries, with sizes and
// modification times; nested names come whole; a failing callback stops it.
func (k *kit) testList(t *testing.T) {
	start := time.Now()
	objects := map[string]int64{
		"list/a":                3,
		"list/b/c":              5,
		"list/b/d/e":            7,
		"list/bb":               11,
		"list/.hidden":          13,
		"list/with space ü.bin": 17,
		"listx":                 19,
	}
	for name, size := range objects {
		k.put(t, name, k.random(size))
	}
	all := keys(objects)
	for _, c := range []struct {
		label, prefix string
		want          []string
	}{
		{"Folder", "list/", without(all, "listx")},
		{"StringPrefix", "list", all},
		{"PartialName", "list/b", []string{"list/b/c", "list/b/d/e", "list/bb"}},
		{"Nested", "list/b/", []string{"list/b/c", "list/b/d/e"}},
		{"WholeName", "list/b/d/e", []string{"list/b/d/e"}},
		{"NoMatch", "list/nothing/", nil},
		{"NoMatchAtRoot", "nothing", nil},
	} {
		t.Run(c.label, func(t *testing.T) {
			got := k.list(t, c.prefix)
			if names := keys(got); !slices.Equal(names, c.want) {
				t.Errorf("list %q: %q, want %q", c.prefix, names, c.want)
			}
			for name, o := range got {
				if size, ok := objects[name]; ok && o.Size != size {
					t.Errorf("list %q: %q has %d bytes, stored %d", c.prefix, name, o.Size, size)
				}
				checkModified(t, "list "+name, o.Modified, start)
			}
		})
	}
	t.Run("EmptyPrefix", func(t *testing.T) { k.checkListing(t) })
	t.Run("InvalidPrefix", func(t *testing.T) {
		err := k.st.List(k.ctx(t), k.cfg, "../", func(storage.ObjectInfo) error { return nil })
		wantErr(t, `list "../"`, err, spec.ErrInvalidArgument)
	})
	t.Run("CallbackErrorStops", func(t *testing.T) {
		stop := errors.New("enough")
		calls := 0
		err := k.st.List(k.ctx(t), k.cfg, "list/", func(storage.ObjectInfo) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("list with a failing callback: %v after %d calls, want the callback's error after 1", err, calls)
		}
	})
	for name := range objects {
		k.del(t, name)
	}
}

// keys returns the sorted keys of m.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func without(names []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == drop })
}
