// Command dbkeep-storage-s3 is dbkeep's S3 storage plugin: backups kept in a
// bucket of Amazon S3 or any S3-compatible service (Cloudflare R2, Backblaze
// B2, Hetzner, Wasabi, MinIO, ...).
//
// Decisions, each for a backup's sake:
//
//   - The client is minio-go v7 rather than aws-sdk-go-v2: one module instead
//     of a dozen, made for S3-compatible services of every kind (path-style
//     detection, no AWS-only checksums that other services refuse), and a
//     low-level API (minio.Core) exposing exactly the multipart calls the
//     upload below drives itself.
//   - Uploads stream: an object that fits in one part goes up with one PUT;
//     a larger one as a multipart upload, one part in memory at a time. Parts
//     start at "part-size-mib" (16 MiB) and double every 900 parts, so that
//     even 5 MiB parts reach 5 TiB within S3's 10,000 parts, while anything
//     under 14 GiB uses 16 MiB parts: memory is bounded whatever the size,
//     known or not. (minio-go's own PutObject with an unknown size would
//     buffer 5 TiB / 10,000 = 512 MiB parts.) Parts go one after another:
//     throughput for memory. A soft memory limit follows the part buffers
//     held (memory.go), so that garbage does not double the peak.
//   - A multipart upload the server forgot (NoSuchUpload: it restarted) is
//     reported as lost and unavailable; a failed abort is retried for two
//     minutes and otherwise named in the error, and Test aborts uploads of
//     dbkeep's names abandoned for over a week (sweep.go).
//   - The multipart upload is completed only when the source ended cleanly
//     and the caller is still there; on any failure or cancellation it is
//     aborted, with a context of its own, so no parts stay stored and billed.
//     Until completion nothing is visible under the name, and a previous
//     object of that name stays whole: S3 replaces objects atomically.
//   - Every part and single PUT carries its Content-MD5, checked by the
//     service.
//   - Retries are minio-go's: up to 10 attempts with exponential backoff and
//     jitter (200 ms doubling, capped at 1 s a wait) on transport errors,
//     HTTP 408/429/499/5xx/520 and S3's throttling codes (SlowDown,
//     Throttling, RequestTimeout, InternalError, ...). Parts are sent from
//     rewindable memory, so a retried part sends the same bytes.
//   - Downloads Stat the object first and read the range pinned to its ETag:
//     a missing object fails the call, not the first read, and an object
//     replaced mid-download fails instead of mixing two objects.
//   - Delete Stats first: S3 answers success for a missing key, the contract
//     wants spec.ErrNotFound.
//   - The bucket must exist; the plugin never creates one, so a typo is
//     reported (spec.ErrNotFound naming the bucket) rather than backups going
//     to a new bucket nobody looks at.
//   - Test writes and removes a probe object named ".dbkeep-tmp-probe-...":
//     names with that prefix are refused as object names and never listed,
//     so a probe left by a crash is invisible.
//   - There is no Usage: S3 has no notion of free space, and summing a
//     bucket's objects on every call would be slow and billed.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
