package storagetest

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// testRoundTrip: objects of the sizes where chunking goes wrong come back
// byte for byte, and Upload reports their true size and SHA-256.
func (k *kit) testRoundTrip(t *testing.T) {
	for i, c := range []struct {
		name string
		size int64
	}{
		{"Empty", 0},
		{"OneByte", 1},
		{"ChunkSize", spec.ChunkSize},
		{"ChunkSizePlusOne", spec.ChunkSize + 1},
		{"Large", k.opts.LargeSize},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "roundtrip/" + c.name + ".bin"
			p := k.random(c.size)
			// Half the uploads announce their size, half stream without a hint.
			hint := p.size
			if i%2 == 1 {
				hint = -1
			}
			if err := k.upload(k.ctx(t), name, p, hint); err != nil {
				t.Fatal(err)
			}
			k.get(t, name, p)
			info, err := k.st.Stat(k.ctx(t), k.cfg, name)
			if err != nil {
				t.Fatalf("stat %q: %v", name, err)
			}
			if info.Size != p.size {
				t.Errorf("stat %q: %d bytes, stored %d", name, info.Size, p.size)
			}
			k.del(t, name)
		})
	}
}

// testRangedDownload: offset and length select exactly the bytes asked for,
// across chunk boundaries and at the end of the object.
func (k *kit) testRangedDownload(t *testing.T) {
	const name = "ranged/object.bin"
	p := k.random(2*spec.ChunkSize + 123)
	k.put(t, name, p)
	data := p.bytes()
	n := p.size
	for _, c := range []struct {
		name           string
		offset, length int64
		from, to       int64 // the bytes expected
	}{
		{"Whole", 0, 0, 0, n},
		{"Head", 0, 10, 0, 10},
		{"AcrossChunks", spec.ChunkSize - 5, 10, spec.ChunkSize - 5, spec.ChunkSize + 5},
		{"SecondChunkExactly", spec.ChunkSize, spec.ChunkSize, spec.ChunkSize, 2 * spec.ChunkSize},
		{"TailToEnd", n - 7, 0, n - 7, n},
		{"LastByte", n - 1, 1, n - 1, n},
		{"OffsetAtEnd", n, 0, n, n},
		{"LengthBeyondEnd", n - 10, 100, n - 10, n},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc, err := k.st.Download(k.ctx(t), k.cfg, storage.DownloadRequest{Name: name, Offset: c.offset, Length: c.length})
			if err != nil {
				t.Fatalf("download offset %d length %d: %v", c.offset, c.length, err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("download offset %d length %d: reading: %v", c.offset, c.length, err)
			}
			want := data[c.from:c.to]
			if len(got) != len(want) {
				t.Fatalf("download offset %d length %d: %d bytes, want %d", c.offset, c.length, len(got), len(want))
			}
			if i := firstDiff(want, got); i >= 0 {
				t.Fatalf("download offset %d length %d: differs at byte %d of the range", c.offset, c.length, i)
			}
		})
	}
	k.del(t, name)
}

// testOverwrite: uploading to an existing name replaces the object whole; a
// shorter object leaves no tail of the longer one.
func (k *kit) testOverwrite(t *testing.T) {
	const name = "overwrite/object.bin"
	k.put(t, name, k.random(spec.ChunkSize+17))
	second := k.random(100)
	k.put(t, name, second)
	k.get(t, name, second)
	info, err := k.st.Stat(k.ctx(t), k.cfg, name)
	if err != nil {
		t.Fatalf("stat %q: %v", name, err)
	}
	if info.Size != second.size {
		t.Errorf("stat %q after overwrite: %d bytes, want %d", name, info.Size, second.size)
	}
	k.checkListing(t)
	k.del(t, name)
}

// testStat: Stat gives the name, size and modification time of an object,
// and a digest only if it is the right one.
func (k *kit) testStat(t *testing.T) {
	const name = "stat/dir/object.bin"
	start := time.Now()
	p := k.random(12345)
	k.put(t, name, p)
	info, err := k.st.Stat(k.ctx(t), k.cfg, name)
	if err != nil {
		t.Fatalf("stat %q: %v", name, err)
	}
	if info.Name != name {
		t.Errorf("stat %q: name %q", name, info.Name)
	}
	if info.Size != p.size {
		t.Errorf("stat %q: %d bytes, stored %d", name, info.Size, p.size)
	}
	checkModified(t, "stat "+name, info.Modified, start)
	if info.SHA256 != "" && info.SHA256 != p.sha256() {
		t.Errorf("stat %q: SHA-256 %s, stored %s", name, info.SHA256, p.sha256())
	}
	k.del(t, name)
}

// checkModified accepts a modification time near the upload: clocks of a
// remote backend may drift, but not by an hour.
func checkModified(t *testing.T, what string, m, start time.Time) {
	t.Helper()
	switch {
	case m.IsZero():
		t.Errorf("%s: modification time not set", what)
	case m.Before(start.Add(-time.Hour)) || m.After(time.Now().Add(time.Hour)):
		t.Errorf("%s: modification time %s, the upload was at %s", what, m, start)
	}
}

// testDelete: a deleted object is gone for Stat, Download and Delete alike.
func (k *kit) testDelete(t *testing.T) {
	const name = "delete/dir/object.bin"
	k.put(t, name, k.random(10))
	k.del(t, name)
	k.absent(t, name)
	_, err := k.st.Download(k.ctx(t), k.cfg, storage.DownloadRequest{Name: name})
	wantErr(t, "download after delete", err, spec.ErrNotFound)
	err = k.st.Delete(k.ctx(t), k.cfg, name)
	wantErr(t, "second delete", err, spec.ErrNotFound)
	if names := k.names(t, "delete/"); len(names) > 0 {
		t.Errorf("list after delete: %q", names)
	}
}

// testMissing: names never stored answer spec.ErrNotFound, also below
// folders that do not exist.
func (k *kit) testMissing(t *testing.T) {
	for _, name := range []string{"missing.bin", "missing/deeper/still/none.bin"} {
		k.absent(t, name)
		_, err := k.st.Download(k.ctx(t), k.cfg, storage.DownloadRequest{Name: name})
		wantErr(t, "download "+name, err, spec.ErrNotFound)
		err = k.st.Delete(k.ctx(t), k.cfg, name)
		wantErr(t, "delete "+name, err, spec.ErrNotFound)
	}
}

// testInvalidNames: names that would leave the location are refused by
// every call with spec.ErrInvalidArgument, and nothing is created.
func (k *kit) testInvalidNames(t *testing.T) {
	for _, c := range []struct{ label, name string }{
		{"Empty", ""},
		{"DotDot", "../x"},
		{"Absolute", "/abs"},
		{"DotDotDeep", "a/../../b"},
		{"DotDotOnly", ".."},
	} {
		t.Run(c.label, func(t *testing.T) {
			ctx := k.ctx(t)
			_, err := k.st.Upload(ctx, k.cfg, storage.UploadRequest{Name: c.name, SizeHint: 1}, bytes.NewReader([]byte("x")))
			wantErr(t, "upload", err, spec.ErrInvalidArgument)
			_, err = k.st.Download(ctx, k.cfg, storage.DownloadRequest{Name: c.name})
			wantErr(t, "download", err, spec.ErrInvalidArgument)
			_, err = k.st.Stat(ctx, k.cfg, c.name)
			wantErr(t, "stat", err, spec.ErrInvalidArgument)
			err = k.st.Delete(ctx, k.cfg, c.name)
			wantErr(t, "delete", err, spec.ErrInvalidArgument)
			k.settle(t)
			k.checkListing(t)
		})
	}
}
