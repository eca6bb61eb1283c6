package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// settings is a configuration read and checked.
type settings struct {
	addr    string // host:port
	user    string
	auth    []ssh.AuthMethod
	hostKey string // pinned SHA256 fingerprint, "" with trustOnFirstUse
	tofu    bool
	base    string // the folder objects live in, cleaned; "." is the login folder
}

// ValidateConfig checks what the schema cannot: one way to log in, a usable
// private key, a pinned host key or the explicit choice not to pin one.
func (*sftpstore) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parse(cfg)
	return err
}

// parse reads cfg into settings, or returns a *spec.ValidationError naming
// every bad field.
func parse(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{user: cfg.String("user")}
	host := strings.TrimSpace(cfg.String("host"))
	switch {
	case host == "":
		errs.Add("host", "is required")
	case strings.ContainsAny(host, "/@ ") || strings.Contains(host, "://"):
		errs.Add("host", "must be a host name or IP address only; put the user, port and folder in their own fields")
	}
	port, err := cfg.Int("port")
	switch {
	case err != nil:
		errs.Add("port", "must be a whole number")
	case port == 0:
		port = 22
	case port < 1 || port > 65535:
		errs.Add("port", "must be between 1 and 65535")
	}
	s.addr = joinHostPort(host, port)
	if s.user == "" {
		errs.Add("user", "is required")
	}
	if pw := cfg.String("password"); pw != "" {
		s.auth = append(s.auth, ssh.Password(pw))
	}
	if key := cfg.String("private-key"); key != "" {
		signer, msg, field := parseKey(key, cfg.String("passphrase"))
		if msg != "" {
			errs.Add(field, msg)
		} else {
			// The key is offered first: a server allowing both prefers it,
			// and password attempts are what lockout policies count.
			s.auth = append([]ssh.AuthMethod{ssh.PublicKeys(signer)}, s.auth...)
		}
	} else if cfg.String("passphrase") != "" {
		errs.Add("passphrase", "is only used with a private key")
	}
	if cfg.String("password") == "" && cfg.String("private-key") == "" {
		errs.Add("password", "give a password or a private key")
	}
	if s.tofu, err = cfg.Bool("trust-on-first-use"); err != nil {
		errs.Add("trust-on-first-use", "must be true or false")
	}
	if raw := strings.TrimSpace(cfg.String("host-key")); raw != "" {
		fp, msg := parseFingerprint(raw)
		if msg != "" {
			errs.Add("host-key", msg)
		}
		s.hostKey = fp
	} else if !s.tofu {
		errs.Add("host-key", "is required: the server's key fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server prints it), or turn on trust on first use to learn it from Test")
	}
	if s.hostKey != "" && s.tofu {
		errs.Add("trust-on-first-use", "turn it off when the host key is pinned")
	}
	s.base = "."
	if p := strings.TrimSpace(cfg.String("path")); p != "" {
		abs := strings.HasPrefix(p, "/")
		rel := strings.Trim(p, "/")
		if rel == "" {
			s.base = "/"
		} else if clean, err := storage.CleanName(rel); err != nil {
			errs.Add("path", "must be a folder path without \"..\", backslashes or NUL")
		} else if abs {
			s.base = "/" + clean
		} else {
			s.base = clean
		}
	}
	return s, errs.Err()
}

func joinHostPort(host string, port int64) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // IPv6
	}
	return host + ":" + strconv.FormatInt(port, 10)
}

// parseKey reads a PEM or OpenSSH private key, with its passphrase if it has
// one; on failure it says what is wrong and with which field.
func parseKey(key, passphrase string) (ssh.Signer, string, string) {
	var signer ssh.Signer
	var err error
	if passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(key), []byte(passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey([]byte(key))
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return signer, "", ""
	case errors.As(err, &missing):
		return nil, "the private key is encrypted: give its passphrase", "passphrase"
	case passphrase != "" && strings.Contains(err.Error(), "decryption password incorrect"):
		return nil, "does not decrypt the private key", "passphrase"
	case passphrase != "" && (strings.Contains(err.Error(), "not encrypted") || strings.Contains(err.Error(), "not password protected")):
		return nil, "the private key is not encrypted: leave the passphrase empty", "passphrase"
	}
	return nil, fmt.Sprintf("is not a private key in OpenSSH or PEM format (%v)", err), "private-key"
}

// parseFingerprint accepts a SHA256 fingerprint as ssh-keygen -l prints it
// (the whole line, or the "SHA256:..." word), or the server's public key as
// in known_hosts or a .pub file, and returns the fingerprint.
func parseFingerprint(raw string) (string, string) {
	const bad = `must be a SHA256 fingerprint ("SHA256:..." as ssh-keygen -lf prints it) or the server's public key line`
	for _, word := range strings.Fields(raw) {
		if fp, ok := strings.CutPrefix(word, "SHA256:"); ok {
			if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(fp, "=")); err != nil || len(b) != 32 {
				return "", bad
			}
			return "SHA256:" + strings.TrimRight(fp, "="), ""
		}
	}
	// known_hosts lines start with the host names: try from each word.
	words := strings.Fields(raw)
	for i := range words {
		if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.Join(words[i:], " "))); err == nil {
			return ssh.FingerprintSHA256(key), ""
		}
	}
	if strings.HasPrefix(raw, "MD5:") || strings.Count(raw, ":") == 15 {
		return "", "MD5 fingerprints are too weak to pin: use the SHA256 one (ssh-keygen -lf prints it by default)"
	}
	return "", bad
}

// join is the server path of a clean object name.
func (s settings) join(name string) string { return path.Join(s.base, name) }
