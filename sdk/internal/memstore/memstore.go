// Package memstore is a storage implementation that keeps objects in memory.
// It exists to test the SDK itself (the wire, the kits) without a backend.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Store is a storage.Storage in memory; its zero value is ready.
type Store struct {
	mu      sync.Mutex
	objects map[string]object
}

// object is kept as the chunks it arrived in: one growing slice would copy a
// large object over and over.
type object struct {
	chunks   [][]byte
	size     int64
	modified time.Time
}

var _ storage.Storage = (*Store)(nil)

func (s *Store) Test(context.Context, spec.Config) (string, error) { return "in memory", nil }

// Upload keeps the object only once r has ended cleanly and ctx is still
// live: an aborted upload stores nothing, as the contract requires.
func (s *Store) Upload(ctx context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	var o object
	for {
		buf := make([]byte, spec.ChunkSize)
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			o.chunks = append(o.chunks, buf[:n])
			o.size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("upload %s: %w", name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	o.modified = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects == nil {
		s.objects = map[string]object{}
	}
	s.objects[name] = o
	return storage.ObjectInfo{Name: name, Size: o.size}, nil
}

func (s *Store) get(name string) (string, object, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return "", object{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[name]
	if !ok {
		return "", object{}, fmt.Errorf("object %s: %w", name, spec.ErrNotFound)
	}
	return name, o, nil
}

func (s *Store) Download(_ context.Context, _ spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	_, o, err := s.get(req.Name)
	if err != nil {
		return nil, err
	}
	readers := make([]io.Reader, len(o.chunks))
	for i, c := range o.chunks {
		readers[i] = bytes.NewReader(c)
	}
	r := io.MultiReader(readers...)
	if _, err := io.CopyN(io.Discard, r, min(req.Offset, o.size)); err != nil {
		return nil, err
	}
	if req.Length > 0 {
		r = io.LimitReader(r, req.Length)
	}
	return io.NopCloser(r), nil
}

func (s *Store) List(_ context.Context, _ spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	s.mu.Lock()
	var infos []storage.ObjectInfo
	for name, o := range s.objects {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, storage.ObjectInfo{Name: name, Size: o.size, Modified: o.modified})
		}
	}
	s.mu.Unlock()
	for _, info := range infos {
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) Stat(_ context.Context, _ spec.Config, name string) (storage.ObjectInfo, error) {
	name, o, err := s.get(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return storage.ObjectInfo{Name: name, Size: o.size, Modified: o.modified}, nil
}

func (s *Store) Delete(_ context.Context, _ spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[name]; !ok {
		return fmt.Errorf("object %s: %w", name, spec.ErrNotFound)
	}
	delete(s.objects, name)
	return nil
}
