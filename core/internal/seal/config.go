package seal

import "github.com/dbkeep/dbkeep/sdk/spec"

// Split separates cfg into the values stored in clear and the values the
// schema marks secret (spec.Field.IsSecret), which are sealed. A field the
// schema does not know is kept in clear: validation, not sealing, rejects
// unknown fields. Empty secrets are dropped rather than sealed.
func Split(schema spec.Schema, cfg spec.Config) (plain, secret spec.Config) {
	plain, secret = spec.Config{}, spec.Config{}
	for k, v := range cfg {
		if f, ok := schema.Field(k); ok && f.IsSecret() {
			if v != "" {
				secret[k] = v
			}
			continue
		}
		plain[k] = v
	}
	return plain, secret
}

// Merge returns the configuration an update asks for: incoming, except that a
// secret field left empty, absent or equal to spec.Mask keeps its stored
// value. This is what lets the API return masks and accept them back. A
// secret the update sets to a new value replaces the stored one; clearing a
// stored secret therefore needs a different request than an empty string.
func Merge(schema spec.Schema, stored, incoming spec.Config) spec.Config {
	out := make(spec.Config, len(incoming))
	for k, v := range incoming {
		out[k] = v
	}
	for _, f := range schema.Fields {
		if !f.IsSecret() {
			continue
		}
		if v := incoming[f.Name]; v != "" && v != spec.Mask {
			continue
		}
		if old, ok := stored[f.Name]; ok && old != "" {
			out[f.Name] = old
		} else {
			// A mask with nothing behind it must not become the secret.
			delete(out, f.Name)
		}
	}
	return out
}
