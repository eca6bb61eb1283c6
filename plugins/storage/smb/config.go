package main

import (
	"context"
	"path"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// SMB dialect revisions, as the negotiation names them.
const (
	dialect202 = 0x0202
	dialect300 = 0x0300
)

// settings is a configuration read and checked.
type settings struct {
	addr     string // host:port
	share    string
	user     string
	password string
	domain   string
	// base is the folder inside the share, slash-separated and cleaned; ""
	// is the share itself.
	base       string
	minDialect uint16
	encrypt    bool
}

// ValidateConfig checks what the schema cannot: a host without a URL
// around it, a share name, a folder that stays inside the share.
func (*smbstore) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parse(cfg)
	return err
}

// parse reads cfg into settings, or returns a *spec.ValidationError naming
// every bad field.
func parse(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{
		user:     cfg.String("user"),
		password: cfg.String("password"),
		domain:   strings.TrimSpace(cfg.String("domain")),
	}
	host := strings.TrimSpace(cfg.String("host"))
	switch {
	case host == "":
		errs.Add("host", "is required")
	case strings.ContainsAny(host, "/\\@ ") || strings.Contains(host, "://"):
		errs.Add("host", "must be a host name or IP address only; put the share and folder in their own fields")
	}
	port, err := cfg.Int("port")
	switch {
	case err != nil:
		errs.Add("port", "must be a whole number")
	case port == 0:
		port = 445
	case port < 1 || port > 65535:
		errs.Add("port", "must be between 1 and 65535")
	}
	s.addr = joinHostPort(host, port)

	s.share = strings.Trim(strings.TrimSpace(cfg.String("share")), `/\`)
	switch {
	case s.share == "":
		errs.Add("share", "is required")
	case strings.ContainsAny(s.share, `/\:*?"<>|`) || strings.ContainsRune(s.share, 0):
		errs.Add("share", `must be the share's name alone (no \, /, :, *, ?, ", <, >, |); put the folder in the Folder field`)
	}
	if s.user == "" {
		errs.Add("user", "is required")
	}
	if p := strings.Trim(strings.TrimSpace(cfg.String("path")), "/"); p != "" {
		if strings.Contains(p, `\`) {
			errs.Add("path", `separate folder names with /, not \`)
		} else if clean, err := storage.CleanName(p); err != nil {
			errs.Add("path", "must be a folder path without \"..\" or NUL")
		} else {
			s.base = clean
		}
	}
	switch cfg.String("min-dialect") {
	case "", "3":
		s.minDialect = dialect300
	case "2":
		s.minDialect = dialect202
	default:
		errs.Add("min-dialect", `must be "2" or "3"`)
	}
	if s.encrypt, err = cfg.Bool("require-encryption"); err != nil {
		errs.Add("require-encryption", "must be true or false")
	}
	if s.encrypt && s.minDialect < dialect300 {
		errs.Add("require-encryption", "needs SMB 3: set the oldest SMB version to 3")
	}
	return s, errs.Err()
}

func joinHostPort(host string, port int64) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // IPv6
	}
	return host + ":" + strconv.FormatInt(port, 10)
}

// join is the share path of a clean object name, slash-separated (the
// client turns slashes into backslashes).
func (s settings) join(name string) string {
	if s.base == "" {
		return name
	}
	return path.Join(s.base, name)
}

// rel is the object name of share path p under the folder.
func (s settings) rel(p string) string {
	if s.base == "" {
		return p
	}
	return strings.TrimPrefix(strings.TrimPrefix(p, s.base), "/")
}

// where names the folder for messages: \\host\share\folder.
func (s settings) where() string {
	w := `\\` + s.addr + `\` + s.share
	if s.base != "" {
		w += `\` + strings.ReplaceAll(s.base, "/", `\`)
	}
	return w
}
