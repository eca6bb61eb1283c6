package main

import (
	"fmt"
	"net/http"
	"strings"
)

// maxHeaders bounds the extra headers: a few tokens, not a second request.
const maxHeaders = 32

// reserved are headers the plugin sets itself or that belong to HTTP's
// framing; letting a user override them would break the body's meaning, the
// signature, or the connection.
var reserved = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Content-Encoding": true, "Transfer-Encoding": true,
	"Host": true, "User-Agent": true, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Expect": true,
}

// parseHeaders reads the headers field: one "Name: value" per line; blank
// lines and lines starting with # are skipped; a trailing CR (text pasted
// from Windows) is dropped. It returns the headers and one message per bad
// line, numbered from 1.
func parseHeaders(text string) (http.Header, []string) {
	h := http.Header{}
	var problems []string
	count := 0
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("line %d: ", i+1)+fmt.Sprintf(format, args...))
		}
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			bad(`want "Name: value"`)
		case !validName(name):
			bad("%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
		case !validValue(value):
			bad("the value of %s holds a control character (a line break?)", name)
		case reserved[http.CanonicalHeaderKey(name)] || strings.HasPrefix(http.CanonicalHeaderKey(name), "X-Dbkeep-"):
			bad("%s is set by the plugin and cannot be overridden", http.CanonicalHeaderKey(name))
		default:
			count++
			if count > maxHeaders {
				bad("more than %d headers", maxHeaders)
				continue
			}
			h.Add(name, value)
		}
	}
	return h, problems
}

// validName reports whether s is an RFC 7230 token.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validValue reports whether s can be a header value: no control characters
// but horizontal tab, so no CR or LF to inject a header or a body.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
