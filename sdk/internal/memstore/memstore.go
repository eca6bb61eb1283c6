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
	objects map[string][]byte
}

var _ storage.Storage = (*Store)(nil)

func (s *Store) Test(context.Context, spec.Config) (string, error) { return "in memory", nil }

func (s *Store) Upload(ctx context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("upload %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects == nil {
		s.objects = map[string][]byte{}
	}
	s.objects[name] = buf.Bytes()
	return storage.ObjectInfo{Name: name, Size: int64(buf.Len())}, nil
}

func (s *Store) get(name string) ([]byte, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objects[name]
	if !ok {
		return nil, fmt.Errorf("object %s: %w", name, spec.ErrNotFound)
	}
	return b, nil
}

func (s *Store) Download(_ context.Context, _ spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	b, err := s.get(req.Name)
	if err != nil {
		return nil, err
	}
	b = b[min(req.Offset, int64(len(b))):]
	if req.Length > 0 {
		b = b[:min(req.Length, int64(len(b)))]
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *Store) List(_ context.Context, _ spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	s.mu.Lock()
	var infos []storage.ObjectInfo
	for name, b := range s.objects {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, storage.ObjectInfo{Name: name, Size: int64(len(b)), Modified: time.Now()})
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
	b, err := s.get(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return storage.ObjectInfo{Name: name, Size: int64(len(b)), Modified: time.Now()}, nil
}

func (s *Store) Delete(_ context.Context, _ spec.Config, name string) error {
	if _, err := s.get(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, name)
	return nil
}
