package pluginconf

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Error is a problem in the content of plugins.hcl or plugins.lock.hcl. Its
// message gives "file:line,column: " before each problem, the form editors and
// terminals turn into links; Diagnostics keeps the structured form.
type Error struct {
	Diagnostics hcl.Diagnostics
}

func (e *Error) Error() string {
	var lines []string
	for _, d := range e.Diagnostics {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d,%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		lines = append(lines, msg)
	}
	return strings.Join(lines, "\n")
}

func diagError(diags hcl.Diagnostics) error { return &Error{Diagnostics: diags} }

func errorAt(subject hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject.Ptr()}
}
