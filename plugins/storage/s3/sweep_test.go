package main

import (
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestSweepAbortsOnlyStaleUploadsOfOurs: the sweep Test makes aborts the
// incomplete multipart uploads of dbkeep names under the prefix that are
// older than the cutoff, and leaves young ones and other keys alone.
func TestSweepAbortsOnlyStaleUploadsOfOurs(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	bucket := srv.bucket(t)
	cfg := srv.config(bucket)
	c, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin := minio.Core{Client: srv.admin}
	ours := []string{"dbkeep/backups/db.sql", "dbkeep/backups/job/set/db.sql", "dbkeep/backups/job/set/.dbkeep-tmp-abandoned"}
	others := []string{"elsewhere/job/set/db.sql", "dbkeep/backupsX/db.sql", "dbkeep/backups/job/bad\\name"}
	ids := map[string]string{}
	for _, key := range append(slices.Clone(ours), others...) {
		id, err := admin.NewMultipartUpload(t.Context(), bucket, key, minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("start a multipart upload of %s: %v", key, err)
		}
		ids[key] = id
	}
	// open lists the keys whose upload is still open, asking about each:
	// rclone's server lists no uploads for an empty delimiter.
	open := func() []string {
		t.Helper()
		var keys []string
		for key, id := range ids {
			_, err := admin.ListObjectParts(t.Context(), bucket, key, id, 0, 1000)
			switch {
			case err == nil:
				keys = append(keys, key)
			case !gone(err):
				t.Fatalf("parts of the upload of %s: %v", key, err)
			}
		}
		slices.Sort(keys)
		return keys
	}

	// Uploads younger than the cutoff are in progress, as far as anyone knows.
	if n, err := c.sweepStale(t.Context(), time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep with every upload young: aborted %d, %v; want none", n, err)
	}
	if got := open(); len(got) != len(ids) {
		t.Fatalf("open uploads after a sweep with every upload young: %q", got)
	}
	n, err := c.sweepStale(t.Context(), time.Now().Add(time.Minute))
	if err != nil || n != len(ours) {
		t.Fatalf("sweep with every upload stale: aborted %d, %v; want %d", n, err, len(ours))
	}
	want := slices.Sorted(slices.Values(others))
	if got := open(); !slices.Equal(got, want) {
		t.Errorf("open uploads after the sweep: %q, want only the other keys' %q", got, want)
	}
	for _, key := range others {
		admin.AbortMultipartUpload(t.Context(), bucket, key, ids[key])
	}
}
