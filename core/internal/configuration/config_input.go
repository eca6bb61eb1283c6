package configuration

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// ConfigInput is a plugin configuration as a client sends it: a JSON object
// of strings, numbers, true/false or null. Plugins take every value as a
// string (spec.Config); numbers and booleans are accepted as JSON too so
// that {"port": 5432} and {"port": "5432"} mean the same, and the plugin's
// schema then decides whether the text is a valid whole number, boolean or
// option. null is the same as leaving the field empty.
type ConfigInput map[string]json.RawMessage

// toConfig converts in, adding an error "config.<field>" for each value
// that is an object or an array.
func (in ConfigInput) toConfig(errs *spec.ValidationError) spec.Config {
	cfg := make(spec.Config, len(in))
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names) // errors in a stable order
	for _, k := range names {
		raw := bytes.TrimSpace(in[k])
		switch {
		case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
			cfg[k] = ""
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				errs.Add("config."+k, "is not a valid JSON string")
				continue
			}
			cfg[k] = s
		case raw[0] == '{' || raw[0] == '[':
			errs.Add("config."+k, "must be a string, a number or true/false, not an object or array")
		default:
			// A JSON number or true/false, already checked by the decoder:
			// its text is the value.
			cfg[k] = string(raw)
		}
	}
	return cfg
}
