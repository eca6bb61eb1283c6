package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Bounds of the body quoted in an error: enough for a JSON error message,
// never a whole HTML page in a notification log.
const (
	snippetReadBytes = 1024
	snippetRunes     = 200
)

// answerError is a receiver's non-2xx answer. It matches the spec sentinel
// of its status, so the core can tell "try again" from "fix the config".
type answerError struct {
	host    string
	status  string
	snippet string
	kind    error
}

func (e *answerError) Error() string {
	msg := fmt.Sprintf("webhook %s answered %s", e.host, e.status)
	if e.snippet != "" {
		msg += ": " + e.snippet
	}
	return msg
}

func (e *answerError) Unwrap() error { return e.kind }

// newAnswerError reads what the receiver said, bounded and sanitized.
func newAnswerError(host string, resp *http.Response) *answerError {
	e := &answerError{host: host, status: resp.Status, kind: kindOf(resp.StatusCode)}
	if e.status == "" {
		e.status = fmt.Sprint(resp.StatusCode)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := sanitize(resp.Header.Get("Location"))
		e.snippet = "redirects are not followed; configure the final URL"
		if loc != "" {
			e.snippet = fmt.Sprintf("redirect to %s not followed; configure the final URL", loc)
		}
		return e
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetReadBytes))
	e.snippet = sanitize(string(b))
	return e
}

func kindOf(code int) error {
	switch code {
	case http.StatusUnauthorized:
		return spec.ErrUnauthenticated
	case http.StatusForbidden:
		return spec.ErrPermission
	case http.StatusNotFound, http.StatusGone:
		return spec.ErrNotFound
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return spec.ErrUnavailable
	}
	return nil
}

// sanitize makes text from the receiver safe to show on one line: invalid
// UTF-8, control and format characters (terminal escapes, bidi overrides)
// become spaces, runs of space collapse, and the result is cut to
// snippetRunes with an ellipsis.
func sanitize(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= snippetRunes {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
