package spec

import (
	"fmt"
	"sort"
	"strconv"
)

// FieldType says how a configuration value is entered, checked and stored.
type FieldType string

const (
	String FieldType = "string"
	// Secret values are sealed at rest by the core and never returned by its API.
	Secret    FieldType = "secret"
	Int       FieldType = "int"
	Bool      FieldType = "bool"
	Select    FieldType = "select"
	Multiline FieldType = "multiline"
	// File values carry the contents of a file: a CA certificate, a private key.
	File FieldType = "file"
)

var fieldTypes = []FieldType{String, Secret, Int, Bool, Select, Multiline, File}

// Option is one choice of a Select field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field describes one configuration value.
type Field struct {
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required,omitempty"`
	Default  string    `json:"default,omitempty"`
	Help     string    `json:"help,omitempty"`
	Options  []Option  `json:"options,omitempty"`
	// Group puts related fields under one heading in a form ("Connection", "TLS").
	Group string `json:"group,omitempty"`
	// Sensitive marks a non-Secret field (a File holding a private key) whose
	// value must be sealed and masked like a secret.
	Sensitive bool `json:"sensitive,omitempty"`
}

// IsSecret reports whether the field's value must be sealed at rest and never
// shown back: Secret fields and fields marked Sensitive.
func (f Field) IsSecret() bool { return f.Type == Secret || f.Sensitive }

// Schema is a plugin's configuration form, in display order.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Field returns the field called name.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// check reports a schema that cannot be rendered or validated: a field without
// a name or with an unknown type, a name used twice, a select without options,
// a default that its own field would reject.
func (s Schema) check() error {
	seen := map[string]bool{}
	for i, f := range s.Fields {
		if err := ValidName(f.Name); f.Name == "" || err != nil {
			return fmt.Errorf("schema field %d: name %q: use lower-case letters, digits and dashes", i, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("schema field %q appears twice", f.Name)
		}
		seen[f.Name] = true
		if !knownType(f.Type) {
			return fmt.Errorf("schema field %q: unknown type %q", f.Name, f.Type)
		}
		if f.Type == Select && len(f.Options) == 0 {
			return fmt.Errorf("schema field %q: a select needs options", f.Name)
		}
		if f.Default != "" {
			if msg := f.check(f.Default); msg != "" {
				return fmt.Errorf("schema field %q: default %q: %s", f.Name, f.Default, msg)
			}
		}
	}
	return nil
}

func knownType(t FieldType) bool {
	for _, k := range fieldTypes {
		if k == t {
			return true
		}
	}
	return false
}

// check returns what is wrong with a non-empty value, or "".
func (f Field) check(v string) string {
	switch f.Type {
	case Int:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "must be a whole number"
		}
	case Bool:
		if _, err := strconv.ParseBool(v); err != nil {
			return "must be true or false"
		}
	case Select:
		for _, o := range f.Options {
			if o.Value == v {
				return ""
			}
		}
		vals := make([]string, len(f.Options))
		for i, o := range f.Options {
			vals[i] = strconv.Quote(o.Value)
		}
		return fmt.Sprintf("must be one of %v", vals)
	}
	return ""
}

// Validate checks cfg against the schema: no unknown fields, required fields
// present, ints, bools and selects well-formed. It returns nil or a
// *ValidationError naming every bad field.
func (s Schema) Validate(cfg Config) error {
	var errs ValidationError
	for _, f := range s.Fields {
		v, ok := cfg[f.Name]
		if !ok || v == "" {
			if f.Required && f.Default == "" {
				errs.Add(f.Name, "is required")
			}
			continue
		}
		if msg := f.check(v); msg != "" {
			errs.Add(f.Name, msg)
		}
	}
	var unknown []string
	for name := range cfg {
		if _, ok := s.Field(name); !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		errs.Add(name, "is not a field of this plugin")
	}
	return errs.Err()
}

// WithDefaults returns a copy of cfg in which every empty field that has a
// default holds it. The SDK applies it before calling a plugin.
func (s Schema) WithDefaults(cfg Config) Config {
	out := make(Config, len(cfg)+len(s.Fields))
	for k, v := range cfg {
		out[k] = v
	}
	for _, f := range s.Fields {
		if out[f.Name] == "" && f.Default != "" {
			out[f.Name] = f.Default
		}
	}
	return out
}
