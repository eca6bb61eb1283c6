package main

import (
	"strings"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "s3",
		DisplayName: "S3-compatible object storage",
		Summary:     "Backups in a bucket of Amazon S3, Cloudflare R2, Backblaze B2, Hetzner, Wasabi, MinIO or any S3-compatible service, uploaded in parts so that any size streams with little memory.",
		Version:     version,
		Schema:      schema(),
		Storage:     &s3store{},
	}
}

func schema() spec.Schema {
	var opts []spec.Option
	var presets []string
	for _, id := range providerOrder {
		p := providers[id]
		opts = append(opts, spec.Option{Value: id, Label: p.label})
		presets = append(presets, p.label+": "+p.help)
	}
	return spec.Schema{Fields: []spec.Field{
		{
			Name: "provider", Label: "Provider", Type: spec.Select, Default: "aws", Options: opts, Group: "Connection",
			Help: "Fills the endpoint and region for known services. " + strings.Join(presets, ". ") + ".",
		},
		{
			Name: "endpoint", Label: "Endpoint", Type: spec.String, Group: "Connection",
			Help: "Host name, host:port or URL of the S3 API (http:// turns TLS off). Empty: the provider's endpoint for the region. Required for MinIO and other services.",
		},
		{
			Name: "region", Label: "Region", Type: spec.String, Group: "Connection",
			Help: "The bucket's region. Empty: the provider's default.",
		},
		{
			Name: "account-id", Label: "Cloudflare account ID", Type: spec.String, Group: "Connection",
			Help: "Cloudflare R2 only: the account ID that names the R2 endpoint.",
		},
		{
			Name: "jurisdiction", Label: "R2 jurisdiction", Type: spec.Select, Default: "default", Group: "Connection",
			Options: []spec.Option{{Value: "default", Label: "Default"}, {Value: "eu", Label: "European Union"}, {Value: "fedramp", Label: "FedRAMP"}},
			Help:    "Cloudflare R2 only: the jurisdiction the bucket was created in.",
		},
		{
			Name: "bucket", Label: "Bucket", Type: spec.String, Required: true, Group: "Location",
			Help: "The bucket must exist: dbkeep does not create buckets, so that a typo is reported instead of backups going to a new bucket.",
		},
		{
			Name: "prefix", Label: "Folder in the bucket", Type: spec.String, Group: "Location",
			Help: "Key prefix under which backups are stored, such as \"dbkeep/prod\". Empty: the bucket's root.",
		},
		{
			Name: "access-key", Label: "Access key ID", Type: spec.String, Required: true, Group: "Credentials",
		},
		{
			Name: "secret-key", Label: "Secret access key", Type: spec.Secret, Required: true, Group: "Credentials",
		},
		{
			Name: "session-token", Label: "Session token", Type: spec.Secret, Group: "Credentials",
			Help: "Only for temporary credentials (AWS STS).",
		},
		{
			Name: "path-style", Label: "Path-style requests", Type: spec.Bool, Default: "false", Group: "Advanced",
			Help: "Address the bucket as endpoint/bucket instead of bucket.endpoint. Off: chosen automatically (virtual-host for AWS and known services, path-style for IP addresses and unknown hosts). Turn on for MinIO behind a host name.",
		},
		{
			Name: "tls-verify", Label: "Verify TLS certificates", Type: spec.Bool, Default: "true", Group: "Advanced",
			Help: "Turn off only for a server with a self-signed certificate on a network you trust: anyone in between could read and change backups.",
		},
		{
			Name: "storage-class", Label: "Storage class", Type: spec.String, Group: "Advanced",
			Help: "Such as STANDARD_IA or GLACIER_IR. Empty: the bucket's default. Classes that need a restore before reading (GLACIER, DEEP_ARCHIVE) make restores and verification fail until the objects are restored.",
		},
		{
			Name: "sse", Label: "Server-side encryption", Type: spec.Select, Default: "none", Group: "Advanced",
			Options: []spec.Option{{Value: "none", Label: "None (the bucket's default)"}, {Value: "AES256", Label: "SSE-S3 (AES256)"}, {Value: "aws:kms", Label: "SSE-KMS (aws:kms)"}},
			Help:    "Encryption by the service, on top of dbkeep's own encryption profiles.",
		},
		{
			Name: "kms-key-id", Label: "KMS key ID", Type: spec.String, Group: "Advanced",
			Help: "With SSE-KMS: the key's ID or ARN. Empty: the account's default key for S3.",
		},
		{
			Name: "part-size-mib", Label: "First part size (MiB)", Type: spec.Int, Default: "16", Group: "Advanced",
			Help: "Size of the first parts of an upload, 5 to 5120. Later parts grow so that an object of 5 TiB fits in S3's 10,000 parts; memory used is one part. Leave at 16 unless told otherwise.",
		},
	}}
}
