package seal

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

var testSchema = spec.Schema{Fields: []spec.Field{
	{Name: "host", Type: spec.String},
	{Name: "password", Type: spec.Secret},
	{Name: "tls-key", Type: spec.File, Sensitive: true},
	{Name: "port", Type: spec.Int},
}}

func TestSplit(t *testing.T) {
	plain, secret := Split(testSchema, spec.Config{
		"host": "db", "port": "5432", "password": "p", "tls-key": "", "unknown": "u",
	})
	if diff := cmp.Diff(spec.Config{"host": "db", "port": "5432", "unknown": "u"}, plain); diff != "" {
		t.Errorf("plain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(spec.Config{"password": "p"}, secret); diff != "" {
		t.Errorf("secret (-want +got):\n%s", diff)
	}
}

func TestMerge(t *testing.T) {
	stored := spec.Config{"host": "old", "password": "stored-pw", "tls-key": "stored-key", "port": "1"}
	tests := []struct {
		name     string
		stored   spec.Config
		incoming spec.Config
		want     spec.Config
	}{
		{
			name:     "masked secrets keep stored values",
			stored:   stored,
			incoming: spec.Config{"host": "new", "password": spec.Mask, "tls-key": spec.Mask, "port": "2"},
			want:     spec.Config{"host": "new", "password": "stored-pw", "tls-key": "stored-key", "port": "2"},
		},
		{
			name:     "empty secrets keep stored values",
			stored:   stored,
			incoming: spec.Config{"host": "old", "password": "", "tls-key": ""},
			want:     spec.Config{"host": "old", "password": "stored-pw", "tls-key": "stored-key"},
		},
		{
			name:     "absent secrets keep stored values",
			stored:   stored,
			incoming: spec.Config{"host": "old"},
			want:     spec.Config{"host": "old", "password": "stored-pw", "tls-key": "stored-key"},
		},
		{
			name:     "new secret replaces",
			stored:   stored,
			incoming: spec.Config{"password": "new-pw", "tls-key": spec.Mask},
			want:     spec.Config{"password": "new-pw", "tls-key": "stored-key"},
		},
		{
			name:     "non-secret fields follow the update, even to empty",
			stored:   stored,
			incoming: spec.Config{"host": "", "password": spec.Mask},
			want:     spec.Config{"host": "", "password": "stored-pw", "tls-key": "stored-key"},
		},
		{
			name:     "mask with nothing stored is dropped, not stored as a secret",
			stored:   spec.Config{"host": "h"},
			incoming: spec.Config{"host": "h", "password": spec.Mask, "tls-key": ""},
			want:     spec.Config{"host": "h"},
		},
		{
			name:     "a mask in a non-secret field is an ordinary value",
			stored:   stored,
			incoming: spec.Config{"host": spec.Mask},
			want:     spec.Config{"host": spec.Mask, "password": "stored-pw", "tls-key": "stored-key"},
		},
		{
			name:     "nothing stored",
			stored:   nil,
			incoming: spec.Config{"host": "h", "password": "p"},
			want:     spec.Config{"host": "h", "password": "p"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(testSchema, tt.stored, tt.incoming)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}
