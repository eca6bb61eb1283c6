package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// conn is one call's client, with the settings it was made from.
type conn struct {
	s settings
	// core is minio-go's low-level API, for the multipart calls; its Client
	// serves everything else.
	core *minio.Core
}

// connect builds a client for one call. It does not touch the network.
func connect(cfg spec.Config) (*conn, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	tr, err := minio.DefaultTransport(s.secure)
	if err != nil {
		return nil, err
	}
	if s.secure && !s.tlsVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user turned verification off, warned by the field's help
	}
	// A server that accepts the connection and then says nothing must not
	// hold a backup forever; transfers themselves are bounded by ctx.
	tr.ResponseHeaderTimeout = 2 * time.Minute
	lookup := minio.BucketLookupAuto
	if s.pathStyle {
		lookup = minio.BucketLookupPath
	}
	core, err := minio.NewCore(s.endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s.accessKey, s.secretKey, s.sessionToken),
		Secure:       s.secure,
		Transport:    tr,
		Region:       s.region,
		BucketLookup: lookup,
	})
	if err != nil {
		var ve spec.ValidationError
		ve.Add("endpoint", err.Error())
		return nil, &ve
	}
	return &conn{s: s, core: core}, nil
}

// key is the S3 key of a clean object name.
func (c *conn) key(name string) string { return c.s.prefix + name }

// putOptions are the options every write carries: storage class and
// server-side encryption.
func (c *conn) putOptions() (minio.PutObjectOptions, error) {
	opts := minio.PutObjectOptions{StorageClass: c.s.storageClass, ContentType: "application/octet-stream"}
	switch c.s.sse {
	case "AES256":
		opts.ServerSideEncryption = encrypt.NewSSE()
	case "aws:kms":
		sse, err := encrypt.NewSSEKMS(c.s.kmsKeyID, nil)
		if err != nil {
			return opts, fmt.Errorf("server-side encryption: %w", err)
		}
		opts.ServerSideEncryption = sse
	}
	return opts, nil
}

// fail gives err, met doing op on the object name ("" for the bucket),
// its meaning for the core, in words that name the bucket or object.
func (c *conn) fail(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("bucket %q at %s", c.s.bucket, c.s.endpoint)
	if name != "" {
		where = fmt.Sprintf("object %q in %s", name, where)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The caller gave up: that is the news, whatever the transport said.
		if errors.Is(err, ctxErr) {
			return fmt.Errorf("%s %s: %w", op, where, err)
		}
		return fmt.Errorf("%s %s: %w (%v)", op, where, ctxErr, err)
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchBucket":
		return fmt.Errorf("%s: bucket %q does not exist at %s (dbkeep does not create buckets): %w", op, c.s.bucket, c.s.endpoint, spec.ErrNotFound)
	case "NoSuchUpload":
		// Only a multipart upload's calls meet it: the server forgot the
		// upload (a restart, an expiry rule). Nothing of it became the
		// object, and sending the whole object again may well succeed.
		return lostUpload(op, where, name)
	case "NoSuchKey", "NoSuchObject":
		return fmt.Errorf("%s %s: no such object: %w", op, where, spec.ErrNotFound)
	case "InvalidAccessKeyId":
		return fmt.Errorf("%s %s: the access key ID %q is not known to the service: %w", op, where, c.s.accessKey, spec.ErrUnauthenticated)
	case "SignatureDoesNotMatch":
		return fmt.Errorf("%s %s: the secret access key is wrong for access key ID %q: %w", op, where, c.s.accessKey, spec.ErrUnauthenticated)
	case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
		return fmt.Errorf("%s %s: the session token is expired or invalid: %w", op, where, spec.ErrUnauthenticated)
	case "AccessDenied", "AllAccessDisabled", "AccountProblem":
		return fmt.Errorf("%s %s: access denied to access key ID %q (%s): %w", op, where, c.s.accessKey, resp.Message, spec.ErrPermission)
	case "QuotaExceeded", "StorageFull", "XMinioStorageFull", "EntityTooLarge":
		return fmt.Errorf("%s %s: the bucket or account is full (%s): %w", op, where, resp.Message, spec.ErrNoSpace)
	case "InvalidRegion", "AuthorizationHeaderMalformed", "PermanentRedirect":
		return fmt.Errorf("%s %s: wrong region %q for this bucket (%s): %w", op, where, c.s.region, resp.Message, spec.ErrPermission)
	}
	// A HEAD request has no body, so no code: only the status tells.
	switch resp.StatusCode {
	case http.StatusNotFound:
		if name == "" {
			return fmt.Errorf("%s: bucket %q does not exist at %s (dbkeep does not create buckets): %w", op, c.s.bucket, c.s.endpoint, spec.ErrNotFound)
		}
		return fmt.Errorf("%s %s: no such object: %w", op, where, spec.ErrNotFound)
	case http.StatusUnauthorized:
		return fmt.Errorf("%s %s: credentials refused: %w", op, where, spec.ErrUnauthenticated)
	case http.StatusForbidden:
		return fmt.Errorf("%s %s: access denied to access key ID %q (wrong credentials or missing permission): %w", op, where, c.s.accessKey, spec.ErrPermission)
	}
	if resp.Code == "" && unreachable(err) {
		return fmt.Errorf("%s %s: the service cannot be reached: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s %s: the service failed (%s %s), after retries: %w", op, where, resp.Code, resp.Message, spec.ErrUnavailable)
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

// lostUpload is the error of a multipart upload the server no longer knows.
func lostUpload(op, where, name string) error {
	return fmt.Errorf("%s %s: the multipart upload was lost by the server (it restarted or expired it); "+
		"nothing was stored under %q: %w", op, where, name, spec.ErrUnavailable)
}

// unreachable reports a transport failure: no answer, refused, DNS, TLS.
func unreachable(err error) bool {
	var netErr net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &netErr) || errors.As(err, &dnsErr) || errors.As(err, &opErr) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "tls:")
}
