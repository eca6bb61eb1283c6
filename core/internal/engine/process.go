package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/sdk/database"
)

// encryptionAlgorithm is what manifests say encrypted objects are in.
const encryptionAlgorithm = "DBK1"

// object is one database's dump on its way to storage:
//
//	dump bytes → count → compress → DBK1 (with a profile) → SHA-256 + count → fan-out
//
// Every stage streams; none holds more than its own block or chunk.
type object struct {
	r        *run
	database string
	// name is relative to the set's prefix.
	name   string
	header database.DumpHeader

	plain int64
	// comp and enc are nil once closed.
	comp   io.WriteCloser
	enc    io.WriteCloser
	hash   hash.Hash
	stored int64
	fan    *fanout

	// sinkMu guards sinkErr: the compressor's goroutines write into the
	// fan-out while the dump's goroutine checks it.
	sinkMu sync.Mutex
	// sinkErr is the first error of the fan-out; see storedWriter.
	sinkErr error
}

// openObject builds the chain for one dump and opens its uploads; stopDump
// ends the dump when no upload is left to take it.
func (r *run) openObject(db string, h database.DumpHeader, stopDump context.CancelCauseFunc) (*object, error) {
	name, err := backupset.ObjectName(db, h.Extension, r.job.Compression, r.key != nil)
	if err != nil {
		return nil, fmt.Errorf("name the object of %q: %w", db, err)
	}
	o := &object{r: r, database: db, name: name, header: h, hash: sha256.New()}
	o.fan = r.openFanout(r.prefix+name, stopDump)
	var sink io.Writer = storedWriter{o}
	if r.key != nil {
		if o.enc, err = dbk1.NewWriter(sink, r.key); err != nil {
			o.fan.finish(err)
			return nil, fmt.Errorf("encrypt %q: %w", db, err)
		}
		sink = o.enc
	}
	if o.comp, err = compress.NewWriter(sink, compress.Algorithm(r.job.Compression), r.level()); err != nil {
		o.fan.finish(err)
		return nil, fmt.Errorf("compress %q: %w", db, err)
	}
	r.log(execlog.Info, "database %q: %s dump, stored as %s", db, h.Format, name)
	return o, nil
}

func (r *run) level() int {
	if r.job.CompressionLevel == nil {
		return 0
	}
	return *r.job.CompressionLevel
}

// write takes dump bytes. It fails once the fan-out failed, which the
// compressor itself is never told (see storedWriter).
func (o *object) write(p []byte) (int, error) {
	n, err := o.comp.Write(p)
	o.plain += int64(n)
	o.r.updateProgress(false, func(pr *execlog.Progress) { pr.BytesRead += int64(n) })
	if err == nil {
		err = o.failed()
	}
	if err != nil {
		return n, fmt.Errorf("process the dump of %q: %w", o.database, err)
	}
	return n, nil
}

// storedWriter hashes and counts the bytes as stored, then fans them out.
//
// When the fan-out fails, it records why and swallows the bytes instead of
// failing: a compressor that saw a write error would keep its goroutines
// (pgzip's Close returns the error at once and never stops its writer), and
// the object is going to be aborted anyway. object.write and object.close
// report the recorded error.
type storedWriter struct{ o *object }

func (s storedWriter) Write(p []byte) (int, error) {
	if err := s.o.fan.write(p); err != nil {
		s.o.sinkMu.Lock()
		if s.o.sinkErr == nil {
			s.o.sinkErr = err
		}
		s.o.sinkMu.Unlock()
		return len(p), nil
	}
	s.o.hash.Write(p)
	s.o.stored += int64(len(p))
	return len(p), nil
}

// failed returns the fan-out's first error, nil while it works.
func (o *object) failed() error {
	o.sinkMu.Lock()
	defer o.sinkMu.Unlock()
	return o.sinkErr
}

// close flushes the chain, ends every upload, and checks what each
// destination reports against what the core sent: a destination whose
// size or SHA-256 differs is dropped. It fails when no destination stored
// the object.
func (o *object) close() error {
	comp := o.comp
	o.comp = nil
	if err := comp.Close(); err != nil {
		return o.abort(fmt.Errorf("finish the compression of %q: %w", o.database, err))
	}
	if enc := o.enc; enc != nil {
		o.enc = nil
		if err := enc.Close(); err != nil {
			return o.abort(fmt.Errorf("finish the encryption of %q: %w", o.database, err))
		}
	}
	if err := o.failed(); err != nil {
		return o.abort(fmt.Errorf("upload %q: %w", o.database, err))
	}
	sum := hex.EncodeToString(o.hash.Sum(nil))
	results := o.fan.finish(nil)
	stored := 0
	for _, res := range results {
		d := res.dest
		switch {
		case res.err != nil:
			o.r.drop(d, fmt.Errorf("upload of %s: %w", o.name, res.err))
		case res.info.Size != o.stored:
			o.r.drop(d, fmt.Errorf("upload of %s: the destination stored %d bytes, the core sent %d", o.name, res.info.Size, o.stored))
		case res.info.SHA256 != "" && res.info.SHA256 != sum:
			o.r.drop(d, fmt.Errorf("upload of %s: the destination's SHA-256 is %s, the core sent %s", o.name, res.info.SHA256, sum))
		default:
			d.objects = append(d.objects, o.manifestEntry(sum))
			stored++
		}
	}
	if stored == 0 {
		return errors.New("no destination stored it")
	}
	o.r.log(execlog.Info, "database %q: %d bytes dumped, %d stored as %s (SHA-256 %s) on %d destination(s)",
		o.database, o.plain, o.stored, o.name, sum, stored)
	return nil
}

// abort ends every upload with cause, so that each plugin discards what it
// received, and returns cause. A destination whose upload had already
// failed by itself is dropped with its own reason: the dump may have
// stopped because of it.
//
// The fan-out is aborted first, its pipes closed: a compressor goroutine
// blocked on a slow destination is freed, and what it still flushes is
// dropped. Then the compressor and the encryption are closed, their errors
// meaningless now, so that their goroutines and buffers end with the
// object rather than outlive it.
func (o *object) abort(cause error) error {
	o.fan.abort(cause)
	if o.comp != nil {
		o.comp.Close()
		o.comp = nil
	}
	if o.enc != nil {
		o.enc.Close()
		o.enc = nil
	}
	results := o.fan.finish(cause)
	if c, _ := o.r.cancelled(); c {
		return cause // every upload failed for that one reason
	}
	for _, res := range results {
		if res.own {
			o.r.drop(res.dest, fmt.Errorf("upload of %s: %w", o.name, res.err))
		}
	}
	return cause
}

// manifestEntry describes the object as stored.
func (o *object) manifestEntry(sum string) backupset.Object {
	e := backupset.Object{
		Database: o.database, Name: o.name, Size: o.stored, SHA256: sum, PlainSize: o.plain,
		Dump:        backupset.Dump{Format: o.header.Format, Extension: o.header.Extension, Metadata: o.header.Metadata},
		Compression: backupset.Compression{Algorithm: o.r.job.Compression, Level: o.r.level()},
	}
	if p := o.r.profile; p != nil {
		e.Encryption = &backupset.Encryption{Algorithm: encryptionAlgorithm, ProfileID: p.ID, KeyID: p.KeyID, ChunkSize: dbk1.DefaultChunkSize}
	}
	return e
}
