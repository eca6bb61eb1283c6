package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/storage"
)

// staleUploadAge is how old an incomplete multipart upload of ours must be
// before Test aborts it. An upload in progress must never be taken for an
// abandoned one: a week is far beyond any backup's duration (5 TiB at
// 10 MB/s takes six days), and it matches the usual lifecycle rule.
const staleUploadAge = 7 * 24 * time.Hour

// sweepLimit bounds the listing requests one sweep makes, so that a bucket
// with a great many incomplete uploads cannot hold a Test up; the next Test
// goes on from the start.
const sweepLimit = 200

// sweepStale aborts the incomplete multipart uploads of dbkeep objects under
// the prefix that were started before cutoff: parts left by a plugin that
// was killed, or whose abort failed while the server was away. Uploads of
// other keys are none of dbkeep's business and are left alone. It returns
// how many it aborted; the error is for the caller to report, not to fail on
// (listing incomplete uploads needs a permission backups do not).
//
// The listing goes folder by folder (delimiter "/"): S3 derives the folders
// from the incomplete uploads alone, so that costs a request per folder that
// holds one, and it is the form every server gets right (rclone's S3 server
// lists nothing for the empty delimiter minio-go sends otherwise).
func (c *conn) sweepStale(ctx context.Context, cutoff time.Time) (int, error) {
	aborted, requests := 0, 0
	folders := []string{c.s.prefix}
	for len(folders) > 0 && requests < sweepLimit {
		folder := folders[0]
		folders = folders[1:]
		var keyMarker, idMarker string
		for requests < sweepLimit {
			requests++
			res, err := c.core.ListMultipartUploads(ctx, c.s.bucket, folder, keyMarker, idMarker, "/", 1000)
			if err != nil {
				return aborted, c.fail(ctx, "list incomplete multipart uploads in", "", err)
			}
			for _, p := range res.CommonPrefixes {
				if strings.HasPrefix(p.Prefix, folder) && p.Prefix != folder {
					folders = append(folders, p.Prefix)
				}
			}
			for _, u := range res.Uploads {
				if !ours(c.s.prefix, u.Key) || u.Initiated.IsZero() || !u.Initiated.Before(cutoff) {
					continue
				}
				if err := c.core.AbortMultipartUpload(ctx, c.s.bucket, u.Key, u.UploadID); err != nil && !gone(err) {
					return aborted, c.fail(ctx, fmt.Sprintf("abort stale multipart upload %s of", u.UploadID), strings.TrimPrefix(u.Key, c.s.prefix), err)
				}
				logger.Info("aborted a stale incomplete multipart upload", "bucket", c.s.bucket, "key", u.Key,
					"upload_id", u.UploadID, "initiated", u.Initiated.UTC())
				aborted++
			}
			if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
				break
			}
			keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
	}
	return aborted, nil
}

// ours reports whether key, in a bucket, is a name dbkeep writes under
// prefix: an object name or one of its temporary names.
func ours(prefix, key string) bool {
	name, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	if _, err := storage.CleanName(name); err == nil {
		return true
	}
	return storage.IsTemp(name)
}
