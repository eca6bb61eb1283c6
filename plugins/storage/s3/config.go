package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Part sizes, in MiB. S3 refuses parts under 5 MiB (except the last) and over
// 5 GiB.
const (
	minPartMiB     = 5
	maxPartMiB     = 5 << 10
	defaultPartMiB = 16
)

// provider is a preset: what an S3-compatible service needs filled in that
// the user should not have to look up.
type provider struct {
	label string
	// endpoint builds the endpoint host from the region (and, for R2, the
	// account and jurisdiction); nil means the user gives the endpoint.
	endpoint func(s settings) string
	// region is used when the user gives none.
	region string
	help   string
}

// providers are the presets, by the value of the "provider" field.
var providers = map[string]provider{
	"aws": {
		label: "Amazon S3", region: "us-east-1",
		endpoint: func(s settings) string { return "s3." + s.region + ".amazonaws.com" },
		help:     "endpoint s3.<region>.amazonaws.com, region us-east-1 unless set",
	},
	"r2": {
		label: "Cloudflare R2", region: "auto",
		endpoint: func(s settings) string {
			if s.jurisdiction != "" {
				return s.accountID + "." + s.jurisdiction + ".r2.cloudflarestorage.com"
			}
			return s.accountID + ".r2.cloudflarestorage.com"
		},
		help: "endpoint <account id>[.<jurisdiction>].r2.cloudflarestorage.com, region auto",
	},
	"b2": {
		label: "Backblaze B2", region: "",
		endpoint: func(s settings) string { return "s3." + s.region + ".backblazeb2.com" },
		help:     "endpoint s3.<region>.backblazeb2.com; the region (us-west-004, eu-central-003, ...) is required: it is part of the bucket's S3 endpoint shown by B2",
	},
	"hetzner": {
		label: "Hetzner Object Storage", region: "fsn1",
		endpoint: func(s settings) string { return s.region + ".your-objectstorage.com" },
		help:     "endpoint <region>.your-objectstorage.com, region fsn1 unless set (nbg1, hel1)",
	},
	"wasabi": {
		label: "Wasabi", region: "us-east-1",
		endpoint: func(s settings) string { return "s3." + s.region + ".wasabisys.com" },
		help:     "endpoint s3.<region>.wasabisys.com, region us-east-1 unless set",
	},
	"other": {
		label: "MinIO or another S3-compatible service", region: "us-east-1",
		help: "the endpoint is required; region us-east-1 unless set",
	},
}

// providerOrder is the order of the presets in the form.
var providerOrder = []string{"aws", "r2", "b2", "hetzner", "wasabi", "other"}

// settings is a configuration read and checked, with presets applied.
type settings struct {
	provider     string
	endpoint     string // host[:port]
	secure       bool   // https
	region       string
	bucket       string
	accessKey    string
	secretKey    string
	sessionToken string
	accountID    string
	jurisdiction string
	// prefix is "" or a clean key prefix ending in "/".
	prefix       string
	pathStyle    bool
	tlsVerify    bool
	storageClass string
	sse          string
	kmsKeyID     string
	partSize     int64 // bytes
}

// ValidateConfig checks what the schema cannot: the endpoint parses, the
// fields a preset needs are there, the prefix stays a prefix.
func (*s3store) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parse(cfg)
	return err
}

// parse reads cfg into settings, or returns a *spec.ValidationError naming
// every bad field.
func parse(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{
		provider:     cfg.String("provider"),
		region:       strings.TrimSpace(cfg.String("region")),
		bucket:       strings.TrimSpace(cfg.String("bucket")),
		accessKey:    strings.TrimSpace(cfg.String("access-key")),
		secretKey:    cfg.String("secret-key"),
		sessionToken: cfg.String("session-token"),
		accountID:    strings.TrimSpace(cfg.String("account-id")),
		jurisdiction: cfg.String("jurisdiction"),
		storageClass: strings.TrimSpace(cfg.String("storage-class")),
		sse:          cfg.String("sse"),
		kmsKeyID:     strings.TrimSpace(cfg.String("kms-key-id")),
		secure:       true,
	}
	if s.provider == "" {
		s.provider = "aws"
	}
	p, ok := providers[s.provider]
	if !ok {
		errs.Add("provider", "unknown provider")
	}
	if s.jurisdiction == "default" {
		s.jurisdiction = ""
	}
	if s.region == "" {
		s.region = p.region
	}
	if s.region == "" && ok {
		errs.Add("region", "is required for "+p.label)
	}
	if s.provider == "r2" && s.accountID == "" && cfg.String("endpoint") == "" {
		errs.Add("account-id", "is required for Cloudflare R2 (or give the endpoint)")
	}
	if ep := strings.TrimSpace(cfg.String("endpoint")); ep != "" {
		host, secure, msg := parseEndpoint(ep)
		if msg != "" {
			errs.Add("endpoint", msg)
		}
		s.endpoint, s.secure = host, secure
	} else if ok && p.endpoint != nil {
		s.endpoint = p.endpoint(s)
	} else if ok {
		errs.Add("endpoint", "is required for "+p.label)
	}
	if s.bucket == "" {
		errs.Add("bucket", "is required")
	} else if strings.ContainsAny(s.bucket, "/ ") {
		errs.Add("bucket", "is a bucket name, without slashes or spaces; put folders in the prefix")
	}
	if s.accessKey == "" {
		errs.Add("access-key", "is required")
	}
	if s.secretKey == "" {
		errs.Add("secret-key", "is required")
	}
	if prefix := strings.Trim(cfg.String("prefix"), "/"); prefix != "" {
		clean, err := storage.CleanName(prefix)
		if err != nil {
			errs.Add("prefix", "must be a relative folder path without \"..\", backslashes or NUL")
		} else {
			s.prefix = clean + "/"
		}
	}
	var err error
	if s.pathStyle, err = cfg.Bool("path-style"); err != nil {
		errs.Add("path-style", "must be true or false")
	}
	s.tlsVerify = true
	if cfg.String("tls-verify") != "" {
		if s.tlsVerify, err = cfg.Bool("tls-verify"); err != nil {
			errs.Add("tls-verify", "must be true or false")
		}
	}
	switch s.sse {
	case "", "none":
		s.sse = ""
		if s.kmsKeyID != "" {
			errs.Add("kms-key-id", "is only used with server-side encryption aws:kms")
		}
	case "AES256":
		if s.kmsKeyID != "" {
			errs.Add("kms-key-id", "is only used with server-side encryption aws:kms")
		}
	case "aws:kms":
	default:
		errs.Add("sse", "must be none, AES256 or aws:kms")
	}
	partMiB, err := cfg.Int("part-size-mib")
	switch {
	case err != nil:
		errs.Add("part-size-mib", "must be a whole number")
	case partMiB == 0:
		partMiB = defaultPartMiB
	case partMiB < minPartMiB || partMiB > maxPartMiB:
		errs.Add("part-size-mib", fmt.Sprintf("must be between %d and %d (S3's limits on a part)", minPartMiB, maxPartMiB))
	}
	s.partSize = partMiB << 20
	return s, errs.Err()
}

// parseEndpoint accepts "host", "host:port" or an http(s) URL without a path,
// and returns the host and whether to use TLS; msg says what is wrong.
func parseEndpoint(ep string) (host string, secure bool, msg string) {
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	switch {
	case err != nil || u.Host == "":
		return "", false, "must be a host name, host:port or an http(s):// URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, "must use http:// or https://"
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.User != nil:
		return "", false, "must be the service's address only: put the bucket in \"bucket\" and folders in \"prefix\", credentials in their own fields"
	}
	return u.Host, u.Scheme == "https", ""
}
