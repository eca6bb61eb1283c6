package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// RetryPolicy says how often and how patiently WithRetry tries again. Its
// zero value is the default policy.
type RetryPolicy struct {
	// Attempts is how many times a call is made in all; 0 means 4, and 1
	// turns retrying off.
	Attempts int
	// InitialDelay is the wait before the second attempt; each further wait
	// doubles, up to MaxDelay. 0 means one second.
	InitialDelay time.Duration
	// MaxDelay caps one wait; 0 means 30 seconds.
	MaxDelay time.Duration
	// Transient decides which errors deserve another attempt; nil means
	// IsTransient. It is never asked about a cancelled call.
	Transient func(error) bool
	// OnRetry, when set, hears of every failed attempt that will be tried
	// again, after wait: for the execution's live log.
	OnRetry func(op string, attempt int, err error, wait time.Duration)

	// sleep waits d or until ctx ends; tests replace it (export_test.go).
	sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of RetryPolicy.
const (
	DefaultRetryAttempts     = 4
	DefaultRetryInitialDelay = time.Second
	DefaultRetryMaxDelay     = 30 * time.Second
)

// WithRetry returns s with its idempotent calls retried on transient errors:
// Test, Stat, List, Delete, Usage and the opening of a Download, each tried
// up to p.Attempts times with exponential backoff and jitter between
// attempts. Errors that another attempt cannot mend (spec.ErrNotFound,
// ErrPermission, ErrUnauthenticated, ErrInvalidArgument, ErrNoSpace, an
// invalid configuration) and the caller's cancellation end the call at once.
//
// Upload is not retried, on purpose: its source is a one-shot stream (a
// dump being compressed and encrypted on the fly) that cannot be rewound,
// and holding a copy to replay would break bounded memory. A failed upload
// fails; the engine restarts the object from the dump, and the storage
// contract guarantees the failed attempt left nothing under the name.
//
// A Download that fails with a transient error after it opened is resumed:
// the object is opened again (with retries) from the first byte not yet
// delivered, and the caller reads on as if nothing happened. Failures that
// follow one another without a byte delivered in between count against
// p.Attempts. Should the object have been replaced in between, the bytes
// would not match: the core verifies every download's SHA-256 anyway.
//
// List retried after some objects were already handed to fn skips those
// names, so fn sees each object once; an error from fn itself is never
// retried. Delete retried after a transient failure treats spec.ErrNotFound
// as success: the earlier attempt may have removed the object before its
// answer was lost, and the object is gone either way.
func WithRetry(s Storage, p RetryPolicy) Location {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetryAttempts
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = DefaultRetryInitialDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryMaxDelay
	}
	if p.MaxDelay < p.InitialDelay {
		p.MaxDelay = p.InitialDelay
	}
	if p.Transient == nil {
		p.Transient = IsTransient
	}
	if p.sleep == nil {
		p.sleep = sleepCtx
	}
	return &retrying{s: s, p: p}
}

// IsTransient reports whether err may go away by itself: the server could
// not be reached (spec.ErrUnavailable), a connection was reset, refused or
// cut short, or a network operation timed out. Cancellation, deadlines and
// every error with a lasting meaning are not transient.
func IsTransient(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, spec.ErrNotFound), errors.Is(err, spec.ErrPermission),
		errors.Is(err, spec.ErrUnauthenticated), errors.Is(err, spec.ErrInvalidArgument),
		errors.Is(err, spec.ErrNoSpace), errors.Is(err, spec.ErrAlreadyExists),
		errors.Is(err, spec.ErrUnsupported), spec.FieldErrors(err) != nil:
		return false
	case errors.Is(err, spec.ErrUnavailable),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type retrying struct {
	s Storage
	p RetryPolicy
}

// Unwrap returns the storage inside.
func (r *retrying) Unwrap() Storage { return r.s }

// do calls f until it succeeds, fails for good, runs out of attempts or ctx
// ends.
func (r *retrying) do(ctx context.Context, op string, f func(attempt int) error) error {
	delay := r.p.InitialDelay
	for attempt := 1; ; attempt++ {
		err := f(attempt)
		var fin final
		if errors.As(err, &fin) {
			return fin.err
		}
		if err == nil || ctx.Err() != nil || attempt >= r.p.Attempts || !r.p.Transient(err) {
			if err != nil && attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		wait := jitter(delay)
		if r.p.OnRetry != nil {
			r.p.OnRetry(op, attempt, err, wait)
		}
		if serr := r.p.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up retrying: %v)", err, serr)
		}
		delay = min(2*delay, r.p.MaxDelay)
	}
}

// final carries an error out of do without another attempt.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }

// jitter spreads a wait over [d/2, d), so that many callers failing at
// once do not all come back at once.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *retrying) Test(ctx context.Context, cfg spec.Config) (string, error) {
	var detail string
	err := r.do(ctx, "test", func(int) (err error) {
		detail, err = r.s.Test(ctx, cfg)
		return err
	})
	return detail, err
}

// Upload is not retried: see WithRetry.
func (r *retrying) Upload(ctx context.Context, cfg spec.Config, req UploadRequest, src io.Reader) (ObjectInfo, error) {
	return r.s.Upload(ctx, cfg, req, src)
}

func (r *retrying) Download(ctx context.Context, cfg spec.Config, req DownloadRequest) (io.ReadCloser, error) {
	rc, err := r.open(ctx, cfg, req)
	if err != nil {
		return nil, err
	}
	return &resuming{r: r, ctx: ctx, cfg: cfg, req: req, rc: rc}, nil
}

func (r *retrying) open(ctx context.Context, cfg spec.Config, req DownloadRequest) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := r.do(ctx, "download", func(int) (err error) {
		rc, err = r.s.Download(ctx, cfg, req)
		return err
	})
	return rc, err
}

// resuming is a download that reopens its object where it broke off when
// the stream fails with a transient error.
type resuming struct {
	r   *retrying
	ctx context.Context
	cfg spec.Config
	req DownloadRequest
	rc  io.ReadCloser
	// read is how many bytes were delivered; broken holds the transient
	// error that cut the stream, to act on at the next Read; failed is the
	// error every Read returns once resuming gave up.
	read           int64
	broken, failed error
	// stalls counts failures without a byte delivered in between.
	stalls    int
	readAtErr int64
}

func (d *resuming) Read(p []byte) (int, error) {
	if d.failed != nil {
		return 0, d.failed
	}
	if d.broken != nil {
		if d.failed = d.resume(); d.failed != nil {
			return 0, d.failed
		}
	}
	n, err := d.rc.Read(p)
	d.read += int64(n)
	if err == nil || err == io.EOF || d.ctx.Err() != nil || !d.r.p.Transient(err) {
		return n, err
	}
	d.broken = err
	if n > 0 {
		return n, nil // the bytes first; the resume at the next Read
	}
	return d.Read(p)
}

// resume reopens the object from the first byte not delivered.
func (d *resuming) resume() error {
	cause := d.broken
	d.broken = nil
	if d.read > d.readAtErr {
		d.stalls = 0
	}
	d.stalls++
	d.readAtErr = d.read
	if d.stalls >= d.r.p.Attempts {
		return fmt.Errorf("%w (the download broke off %d times in a row at byte %d)", cause, d.stalls, d.req.Offset+d.read)
	}
	d.rc.Close()
	d.rc = io.NopCloser(eofReader{}) // closed once only, whatever follows
	req := d.req
	req.Offset += d.read
	if req.Length > 0 {
		req.Length -= d.read
		if req.Length <= 0 {
			d.rc = io.NopCloser(eofReader{}) // every byte asked for was delivered
			return nil
		}
	}
	// Breaking off again at once: wait as between attempts.
	var wait time.Duration
	if d.stalls > 1 {
		wait = jitter(min(d.r.p.InitialDelay<<(d.stalls-2), d.r.p.MaxDelay))
	}
	if d.r.p.OnRetry != nil {
		d.r.p.OnRetry("download", d.stalls, cause, wait)
	}
	if wait > 0 {
		if err := d.r.p.sleep(d.ctx, wait); err != nil {
			return fmt.Errorf("%w (gave up resuming: %v)", cause, err)
		}
	}
	rc, err := d.r.open(d.ctx, d.cfg, req)
	if err != nil {
		return fmt.Errorf("resume the download at byte %d after %v: %w", req.Offset, cause, err)
	}
	d.rc = rc
	return nil
}

func (d *resuming) Close() error { return d.rc.Close() }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (r *retrying) List(ctx context.Context, cfg spec.Config, prefix string, fn func(ObjectInfo) error) error {
	seen := map[string]bool{}
	return r.do(ctx, "list", func(int) error {
		var fnErr error
		err := r.s.List(ctx, cfg, prefix, func(o ObjectInfo) error {
			if seen[o.Name] {
				return nil
			}
			seen[o.Name] = true
			fnErr = fn(o)
			return fnErr
		})
		if fnErr != nil {
			return final{fnErr} // the caller's own error, as the contract says, never retried
		}
		return err
	})
}

func (r *retrying) Stat(ctx context.Context, cfg spec.Config, name string) (ObjectInfo, error) {
	var info ObjectInfo
	err := r.do(ctx, "stat", func(int) (err error) {
		info, err = r.s.Stat(ctx, cfg, name)
		return err
	})
	return info, err
}

func (r *retrying) Delete(ctx context.Context, cfg spec.Config, name string) error {
	return r.do(ctx, "delete", func(attempt int) error {
		err := r.s.Delete(ctx, cfg, name)
		if attempt > 1 && errors.Is(err, spec.ErrNotFound) {
			return nil // an earlier attempt removed it before its answer was lost
		}
		return err
	})
}

func (r *retrying) Usage(ctx context.Context, cfg spec.Config) (Usage, error) {
	var u Usage
	err := r.do(ctx, "usage", func(int) (err error) {
		u, err = usageOf(ctx, r.s, cfg)
		return err
	})
	return u, err
}
