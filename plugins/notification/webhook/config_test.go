package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestSettingsMessages pins what a person reads for mistakes the kit can only
// tell apart by field name.
func TestSettingsMessages(t *testing.T) {
	caPEM := certPEM(t, startTLS(t, nil))
	cases := []struct {
		name string
		cfg  spec.Config
		want []spec.FieldError
	}{
		{"ca-cert with http", spec.Config{"url": "http://example.com/", "ca-cert": caPEM},
			[]spec.FieldError{{Field: "ca-cert", Message: "is only used with an https:// URL"}}},
		{"ca-cert not PEM", spec.Config{"url": "https://example.com/", "ca-cert": "MIIB"},
			[]spec.FieldError{{Field: "ca-cert", Message: "holds no PEM certificate"}}},
		{"url keeps its token out of the message", spec.Config{"url": "ftp://example.com/" + token},
			[]spec.FieldError{{Field: "url", Message: "must start with http:// or https://"}}},
		{"password in url", spec.Config{"url": "https://u:" + token + "@example.com/"},
			[]spec.FieldError{{Field: "url", Message: "must not contain a user name or password: send credentials as a header (Authorization) instead"}}},
		{"timeout", spec.Config{"url": "https://example.com/", "timeout": "301"},
			[]spec.FieldError{{Field: "timeout", Message: "must be between 1 and 300 seconds"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseSettings(c.cfg)
			if diff := cmp.Diff(c.want, spec.FieldErrors(err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
	s, err := parseSettings(spec.Config{"url": "HTTPS://Example.com/hook", "ca-cert": caPEM})
	if err != nil || s.timeout.Seconds() != defaultTimeout || s.roots == nil || s.url.Scheme != "https" {
		t.Errorf("valid settings: %+v, %v", s, err)
	}
}
