package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Fields of the remote mode: the database file is on another host, reached
// over SSH, and handled there by its sqlite3 command.
const (
	fieldSSHHost       = "ssh-host"
	fieldSSHPort       = "ssh-port"
	fieldSSHUser       = "ssh-user"
	fieldSSHPassword   = "ssh-password"
	fieldSSHKey        = "ssh-private-key"
	fieldSSHPassphrase = "ssh-passphrase"
	fieldSSHHostKey    = "ssh-host-key"
	fieldSSHTOFU       = "ssh-trust-on-first-use"
	fieldSQLite3       = "sqlite3-command"
)

func remoteFields() []spec.Field {
	return []spec.Field{
		{Name: fieldSSHHost, Label: "SSH host", Type: spec.String, Group: "Remote (SSH)",
			Help: "Empty: the file is on the plugin's own host. Otherwise the host that has the file; the plugin logs in over SSH and runs sqlite3 there (a POSIX login shell, sqlite3 3.27 or later, cat, ln, mv and rm are needed)."},
		{Name: fieldSSHPort, Label: "SSH port", Type: spec.Int, Default: "22", Group: "Remote (SSH)"},
		{Name: fieldSSHHostKey, Label: "SSH host key fingerprint", Type: spec.String, Group: "Remote (SSH)",
			Help: "The server's SHA256 fingerprint, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it (SHA256:...), or its public key line. A server presenting another key is refused."},
		{Name: fieldSSHTOFU, Label: "Trust the host key on first use", Type: spec.Bool, Default: "false", Group: "Remote (SSH)",
			Help: "Accept whatever key the server presents and show its fingerprint in the result of Test, to pin it above. Nothing is remembered: until it is pinned, every connection trusts blindly."},
		{Name: fieldSSHUser, Label: "SSH user", Type: spec.String, Group: "Remote (SSH)",
			Help: "An account that can read the database file (and, for restores, write in its folder)."},
		{Name: fieldSSHPassword, Label: "SSH password", Type: spec.Secret, Group: "Remote (SSH)",
			Help: "A password, a private key, or both (the key is tried first)."},
		{Name: fieldSSHKey, Label: "SSH private key", Type: spec.File, Sensitive: true, Group: "Remote (SSH)",
			Help: "An OpenSSH or PEM private key (ed25519, ECDSA or RSA)."},
		{Name: fieldSSHPassphrase, Label: "SSH key passphrase", Type: spec.Secret, Group: "Remote (SSH)",
			Help: "Only for an encrypted private key."},
		{Name: fieldSQLite3, Label: "Remote sqlite3 command", Type: spec.String, Default: "sqlite3", Group: "Remote (SSH)",
			Help: "The sqlite3 command-line shell on the remote host: a name looked up in its PATH, or an absolute path."},
	}
}

// remote is a validated remote-mode configuration.
type remote struct {
	addr    string
	user    string
	auth    []ssh.AuthMethod
	hostKey string // pinned SHA256 fingerprint; "" with tofu
	tofu    bool
	sqlite3 string
}

// isRemote reports whether cfg selects the remote mode.
func isRemote(cfg spec.Config) bool { return strings.TrimSpace(cfg.String(fieldSSHHost)) != "" }

// parseRemote reads the remote fields into errs and returns the settings.
func parseRemote(cfg spec.Config, errs *spec.ValidationError) remote {
	var r remote
	host := strings.TrimSpace(cfg.String(fieldSSHHost))
	if strings.ContainsAny(host, "/@ \t\r\n\x00") || strings.HasPrefix(host, "-") {
		errs.Add(fieldSSHHost, "must be a host name or IP address only; put the user and port in their own fields")
	}
	port, err := cfg.Int(fieldSSHPort)
	switch {
	case err != nil:
		errs.Add(fieldSSHPort, "must be a whole number")
	case port == 0:
		port = 22
	case port < 1 || port > 65535:
		errs.Add(fieldSSHPort, "must be between 1 and 65535")
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	r.addr = host + ":" + strconv.FormatInt(port, 10)
	if r.user = cfg.String(fieldSSHUser); r.user == "" {
		errs.Add(fieldSSHUser, "is required in remote mode")
	}
	if pw := cfg.String(fieldSSHPassword); pw != "" {
		r.auth = append(r.auth, ssh.Password(pw))
	}
	if key := cfg.String(fieldSSHKey); key != "" {
		signer, msg, field := parseKey(key, cfg.String(fieldSSHPassphrase))
		if msg != "" {
			errs.Add(field, msg)
		} else {
			// Offered first: password attempts are what lockout policies count.
			r.auth = append([]ssh.AuthMethod{ssh.PublicKeys(signer)}, r.auth...)
		}
	} else if cfg.String(fieldSSHPassphrase) != "" {
		errs.Add(fieldSSHPassphrase, "is only used with a private key")
	}
	if cfg.String(fieldSSHPassword) == "" && cfg.String(fieldSSHKey) == "" {
		errs.Add(fieldSSHPassword, "give a password or a private key")
	}
	if r.tofu, err = cfg.Bool(fieldSSHTOFU); err != nil {
		errs.Add(fieldSSHTOFU, "must be true or false")
	}
	if raw := strings.TrimSpace(cfg.String(fieldSSHHostKey)); raw != "" {
		fp, msg := parseFingerprint(raw)
		if msg != "" {
			errs.Add(fieldSSHHostKey, msg)
		}
		r.hostKey = fp
	} else if !r.tofu {
		errs.Add(fieldSSHHostKey, "is required: the server's key fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server prints it), or turn on trust on first use to learn it from Test")
	}
	if r.hostKey != "" && r.tofu {
		errs.Add(fieldSSHTOFU, "turn it off when the host key is pinned")
	}
	r.sqlite3 = strings.TrimSpace(cfg.String(fieldSQLite3))
	if r.sqlite3 == "" {
		r.sqlite3 = "sqlite3"
	}
	if strings.HasPrefix(r.sqlite3, "-") || strings.ContainsAny(r.sqlite3, "\x00\r\n") {
		errs.Add(fieldSQLite3, "must be a command name or an absolute path")
	}
	return r
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
		return nil, "the private key is encrypted: give its passphrase", fieldSSHPassphrase
	case passphrase != "" && strings.Contains(err.Error(), "decryption password incorrect"):
		return nil, "does not decrypt the private key", fieldSSHPassphrase
	}
	return nil, fmt.Sprintf("is not a private key in OpenSSH or PEM format (%v)", err), fieldSSHKey
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
