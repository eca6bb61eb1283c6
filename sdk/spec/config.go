package spec

import (
	"fmt"
	"strconv"
)

// Config holds a plugin's configuration values by field name, as strings. It
// travels with every call, secrets already decrypted by the core; a plugin
// never stores it. Values were checked against the plugin's Schema before the
// plugin sees them, and defaults filled in.
type Config map[string]string

// String returns the value of field name, or "".
func (c Config) String(name string) string { return c[name] }

// Int returns the value of field name as an integer; an empty value is 0.
func (c Config) Int(name string) (int64, error) {
	v := c[name]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &ValidationError{Fields: []FieldError{{Field: name, Message: "must be a whole number"}}}
	}
	return n, nil
}

// Bool returns the value of field name as a boolean; an empty value is false.
func (c Config) Bool(name string) (bool, error) {
	v := c[name]
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &ValidationError{Fields: []FieldError{{Field: name, Message: "must be true or false"}}}
	}
	return b, nil
}

// Redacted returns a copy of c in which the fields the schema marks secret are
// masked, for logs and error messages.
func (c Config) Redacted(s Schema) Config {
	out := make(Config, len(c))
	for k, v := range c {
		if f, ok := s.Field(k); ok && f.IsSecret() && v != "" {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// Mask is what stands in for a secret value wherever it would be shown.
const Mask = "••••••••"

// GoString keeps secrets out of %#v output; Config has no schema here, so
// every value is masked.
func (c Config) GoString() string { return fmt.Sprintf("spec.Config{%d fields}", len(c)) }
