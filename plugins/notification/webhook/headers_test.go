package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHeadersMessages(t *testing.T) {
	_, got := parseHeaders("X-Ok: 1\n\nno colon\nX-A: b\rc\nUser-Agent: me\n")
	want := []string{
		`line 3: want "Name: value"`,
		"line 4: the value of X-A holds a control character (a line break?)",
		"line 5: User-Agent is set by the plugin and cannot be overridden",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// FuzzParseHeaders: whatever the text, an accepted header has a token name,
// a value without CR, LF or NUL, and is none the plugin reserves.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{"A: b", "A: b\r\nC: d", "X-A: b\rX-B: c", "Host: x", "x-dbkeep-event: y", ":", "A:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		h, problems := parseHeaders(text)
		if len(problems) > 0 {
			return
		}
		for name, values := range h {
			if !validName(name) || reserved[name] || strings.HasPrefix(name, "X-Dbkeep-") {
				t.Errorf("accepted header name %q", name)
			}
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Errorf("accepted value %q of %s", v, name)
				}
			}
		}
	})
}
