package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Plugin describes the plugin to the SDK: its name, version, the form the web
// UI shows, and the implementation.
func Plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "dirstore",
		DisplayName: "Sharded directory (example)",
		Summary:     "Keeps each object as one file in a hash-sharded folder tree.",
		Version:     "1.0.0",
		Schema: spec.Schema{Fields: []spec.Field{{
			Name: "root", Label: "Folder", Type: spec.String, Required: true,
			Help: "Absolute path of an existing folder that holds the objects.",
		}}},
		Storage: dirStore{},
	}
}

// dirStore keeps no state: everything it needs arrives in the configuration
// with each call.
type dirStore struct{}

// ValidateConfig checks what the schema cannot: the folder must be absolute.
// It does not touch the disk; Test does.
func (dirStore) ValidateConfig(_ context.Context, cfg spec.Config) error {
	if !filepath.IsAbs(cfg.String("root")) {
		return &spec.ValidationError{Fields: []spec.FieldError{{Field: "root", Message: "must be an absolute path"}}}
	}
	return nil
}

// tmpDir holds uploads in progress, so that List never sees them.
const tmpDir = ".uploads"

// file returns where the object called name lives: <root>/<shard>/<escaped
// name>, the shard being the first byte of the name's SHA-256.
func file(cfg spec.Config, name string) (string, error) {
	clean, err := storage.CleanName(name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(clean))
	return filepath.Join(cfg.String("root"), hex.EncodeToString(sum[:1]), url.PathEscape(clean)), nil
}

// mapErr turns file system errors into the SDK's sentinels.
func mapErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", spec.ErrNotFound, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", spec.ErrPermission, err)
	}
	return err
}

func (s dirStore) Test(ctx context.Context, cfg spec.Config) (string, error) {
	const probe = ".dbkeep-probe"
	if _, err := s.Upload(ctx, cfg, storage.UploadRequest{Name: probe}, strings.NewReader("probe")); err != nil {
		return "", fmt.Errorf("folder %s is not writable: %w", cfg.String("root"), err)
	}
	return "writable", s.Delete(ctx, cfg, probe)
}

// Upload writes to a temporary file, syncs it and renames it into place, so
// the object exists under its name only once it is complete.
func (dirStore) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	dst, err := file(cfg, req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	tmps := filepath.Join(cfg.String("root"), tmpDir)
	if err := os.MkdirAll(tmps, 0o700); err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	tmp, err := os.CreateTemp(tmps, "up-")
	if err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = ctx.Err() // a cancelled upload must not be kept
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o700)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("upload %s: %w", req.Name, mapErr(err))
	}
	return storage.ObjectInfo{Name: req.Name, Size: n}, nil
}

func (dirStore) Download(_ context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	path, err := file(cfg, req.Name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, mapErr(err)
	}
	if _, err := f.Seek(req.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	if req.Length == 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, req.Length), f}, nil
}

func (dirStore) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	shards, err := os.ReadDir(cfg.String("root"))
	if err != nil {
		return mapErr(err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || shard.Name() == tmpDir {
			continue
		}
		files, err := os.ReadDir(filepath.Join(cfg.String("root"), shard.Name()))
		if err != nil {
			return mapErr(err)
		}
		for _, f := range files {
			name, err := url.PathUnescape(f.Name())
			if err != nil || !strings.HasPrefix(name, prefix) {
				continue
			}
			info, err := f.Info()
			if err != nil {
				return mapErr(err)
			}
			if err := fn(storage.ObjectInfo{Name: name, Size: info.Size(), Modified: info.ModTime()}); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (dirStore) Stat(_ context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	path, err := file(cfg, name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	return storage.ObjectInfo{Name: name, Size: info.Size(), Modified: info.ModTime()}, nil
}

func (dirStore) Delete(_ context.Context, cfg spec.Config, name string) error {
	path, err := file(cfg, name)
	if err != nil {
		return err
	}
	return mapErr(os.Remove(path))
}
