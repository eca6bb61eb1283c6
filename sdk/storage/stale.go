package storage

import (
	"errors"
	"io/fs"
	"time"

	"github.com/hashicorp/go-hclog"
)

// StaleTempAge is how long a temporary object (TempName) must have gone
// unmodified before a remote storage's List removes it as the leftover of an
// upload that will never finish: the plugin was killed mid-upload, or the
// clean-up of a failed upload could not reach the server.
//
// The age is safe because an upload in progress is never that quiet where
// its file can be seen: SFTP and FTP servers write the file in place, and
// every write moves its modification time; most WebDAV servers show a PUT's
// resource only once it is complete. The longest a live upload goes without
// writing is the wait for its dump's first bytes (a database lock can hold a
// dump for hours) or for a compressed chunk to fill; a day is far beyond
// either. The margin also absorbs the clocks the age is read from: the
// server's, not the plugin's, and, for an FTP server without MLSD, a listing
// in the server's own time zone taken as UTC (up to 14 hours off).
//
// Servers that freeze a file's time at its first write until it is closed
// (SMB, as Windows does) show a live upload's start time instead: there the
// age alone would remove uploads running longer than a day, and the plugin
// must also know that the file is not open (TempSweeper.InUse).
const StaleTempAge = 24 * time.Hour

// IsStaleTemp reports whether name is a temporary object's (IsTemp) last
// modified more than StaleTempAge before now. An unknown (zero) time is
// never stale, nor is one in the future.
func IsStaleTemp(name string, modTime, now time.Time) bool {
	return IsTemp(name) && !modTime.IsZero() && now.Sub(modTime) > StaleTempAge
}

// Bounds of one TempSweeper: removals are one round trip each, and a List
// must not be held up by a folder full of leftovers or a server refusing
// every removal (a read-only account). What is left goes at the next List.
const (
	sweepAttempts = 100
	sweepFailures = 3
)

// TempSweeper removes the stale temporary objects (IsStaleTemp) a List walks
// past: a remote storage has no other moment to notice that an upload died.
// Make one per List call and hand Sweep every temporary object the walk
// meets, in every folder it reads, whatever the prefix. It never fails the
// List: a removal that fails is logged as a warning and the walk goes on.
// It makes at most 100 removals per List, and stops after 3 failures.
type TempSweeper struct {
	// Remove removes the temporary object at path, as Sweep was given it.
	// An object already gone may answer nil or an error matching
	// fs.ErrNotExist.
	Remove func(path string) error
	// Logger hears of every removal (info) and every failure (warning).
	Logger hclog.Logger
	// InUse, when set, recognises the error of a removal the server refused
	// because the object is open, an upload in progress holding it (an SMB
	// sharing violation): that object is left alone without a warning.
	InUse func(error) bool
	// Now is the time ages are measured from; zero: when Sweep first runs.
	Now time.Time

	attempts, failures int
}

// Sweep removes the temporary object at path when it is stale, modTime
// being its modification time as the server lists it.
func (s *TempSweeper) Sweep(path string, modTime time.Time) {
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	if !IsStaleTemp(path, modTime, s.Now) || s.attempts >= sweepAttempts || s.failures >= sweepFailures {
		return
	}
	s.attempts++
	age := s.Now.Sub(modTime).Round(time.Second).String()
	err := s.Remove(path)
	switch {
	case err == nil:
		s.Logger.Info("removed a stale temporary file left by an upload that never finished", "path", path, "age", age)
	case errors.Is(err, fs.ErrNotExist):
		// Removed meanwhile: by another List, or by its upload's late clean-up.
	case s.InUse != nil && s.InUse(err):
		s.Logger.Debug("left a stale-looking temporary file alone: it is open, an upload in progress", "path", path, "age", age)
	default:
		s.failures++
		s.Logger.Warn("could not remove a stale temporary file left by an upload that never finished; it is never listed, and the next List tries again",
			"path", path, "age", age, "error", err)
	}
}

// WarnTempLeft logs that the temporary file at path, of an upload that
// failed, could not be removed (err): what a plugin says when its clean-up
// after a failure fails. The file is never listed, and a List removes it
// once it is StaleTempAge old.
func WarnTempLeft(logger hclog.Logger, path string, err error) {
	logger.Warn("could not remove the temporary file of a failed upload; it is never listed, and a List removes it once nothing has written it for a day",
		"path", path, "error", err)
}
