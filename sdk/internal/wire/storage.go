package wire

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"google.golang.org/grpc"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// listBatch is how many objects travel in one List message; far below the
// message cap even with long names.
const listBatch = 500

type storageServer struct {
	pb.UnimplementedStorageServiceServer
	s *Server
}

func (ss *storageServer) Test(ctx context.Context, req *pb.StorageTestRequest) (*pb.StorageTestResponse, error) {
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	detail, err := ss.s.Storage.Test(ctx, cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StorageTestResponse{Detail: detail}, nil
}

// countingReader hashes and counts what the implementation reads, so that
// the size and SHA-256 of an upload come from the bytes that crossed the
// boundary, whatever the backend.
type countingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	done bool // the underlying reader reported io.EOF
}

// WriteTo keeps the chunk reader's large writes when the implementation
// copies the upload with io.Copy.
func (c *countingReader) WriteTo(w io.Writer) (int64, error) {
	cr, ok := c.r.(*chunkReader)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{c})
	}
	n, err := cr.WriteTo(io.MultiWriter(c.h, w))
	c.n += n
	if err == nil {
		c.done = true
	}
	return n, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err == io.EOF {
		c.done = true
	}
	return n, err
}

func (ss *storageServer) Upload(stream grpc.ClientStreamingServer[pb.UploadRequest, pb.UploadResponse]) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return toStatus(fmt.Errorf("upload: reading header: %w", err))
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return toStatus(fmt.Errorf("protocol error: upload did not start with a header: %w", spec.ErrInvalidArgument))
	}
	cfg, err := ss.s.config(ctx, hdr.GetConfig())
	if err != nil {
		return toStatus(err)
	}
	body := &countingReader{h: sha256.New(), r: &chunkReader{next: func() ([]byte, error) {
		m, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		d, ok := m.GetMessage().(*pb.UploadRequest_Data)
		if !ok {
			return nil, fmt.Errorf("protocol error: upload sent a second header: %w", spec.ErrInvalidArgument)
		}
		return d.Data, checkChunk(d.Data)
	}}}
	info, err := ss.s.Storage.Upload(ctx, cfg, storage.UploadRequest{Name: hdr.GetName(), SizeHint: hdr.GetSizeHint()}, body)
	if err != nil {
		return toStatus(err)
	}
	if !body.done {
		// The object is stored but the stream was not read to its end: the
		// implementation stored a prefix. Undo it rather than report success.
		_ = ss.s.Storage.Delete(context.WithoutCancel(ctx), cfg, hdr.GetName())
		return toStatus(fmt.Errorf("plugin bug: upload of %q returned before reading all data (%d bytes read); the object was deleted", hdr.GetName(), body.n))
	}
	if info.Size != 0 && info.Size != body.n {
		return toStatus(fmt.Errorf("plugin bug: upload of %q reports %d bytes stored but received %d", hdr.GetName(), info.Size, body.n))
	}
	info.Name, info.Size, info.SHA256 = hdr.GetName(), body.n, hex.EncodeToString(body.h.Sum(nil))
	return stream.SendAndClose(&pb.UploadResponse{Object: objectToPB(info)})
}

func (ss *storageServer) Download(req *pb.DownloadRequest, stream grpc.ServerStreamingServer[pb.DownloadResponse]) error {
	ctx := stream.Context()
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return toStatus(err)
	}
	if req.GetOffset() < 0 || req.GetLength() < 0 {
		return toStatus(fmt.Errorf("download: offset and length must not be negative: %w", spec.ErrInvalidArgument))
	}
	rc, err := ss.s.Storage.Download(ctx, cfg, storage.DownloadRequest{Name: req.GetName(), Offset: req.GetOffset(), Length: req.GetLength()})
	if err != nil {
		return toStatus(err)
	}
	defer rc.Close()
	_, err = sendChunks(rc, func(b []byte) error { return stream.Send(&pb.DownloadResponse{Data: b}) })
	return toStatus(err)
}

func (ss *storageServer) List(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListResponse]) error {
	ctx := stream.Context()
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return toStatus(err)
	}
	batch := &pb.ListResponse{}
	err = ss.s.Storage.List(ctx, cfg, req.GetPrefix(), func(o storage.ObjectInfo) error {
		batch.Objects = append(batch.Objects, objectToPB(o))
		if len(batch.Objects) < listBatch {
			return nil
		}
		err := stream.Send(batch)
		batch = &pb.ListResponse{}
		return err
	})
	if err == nil && len(batch.Objects) > 0 {
		err = stream.Send(batch)
	}
	return toStatus(err)
}

func (ss *storageServer) Stat(ctx context.Context, req *pb.StatRequest) (*pb.StatResponse, error) {
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := ss.s.Storage.Stat(ctx, cfg, req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StatResponse{Object: objectToPB(info)}, nil
}

func (ss *storageServer) Delete(ctx context.Context, req *pb.DeleteRequest) (*pb.DeleteResponse, error) {
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.DeleteResponse{}, toStatus(ss.s.Storage.Delete(ctx, cfg, req.GetName()))
}

func (ss *storageServer) Usage(ctx context.Context, req *pb.UsageRequest) (*pb.UsageResponse, error) {
	u, ok := ss.s.Storage.(storage.UsageReporter)
	if !ok {
		return nil, toStatus(fmt.Errorf("usage: %w", spec.ErrUnsupported))
	}
	cfg, err := ss.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	usage, err := u.Usage(ctx, cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.UsageResponse{UsedBytes: usage.UsedBytes, FreeBytes: usage.FreeBytes, TotalBytes: usage.TotalBytes}, nil
}

func objectToPB(o storage.ObjectInfo) *pb.ObjectInfo {
	return &pb.ObjectInfo{Name: o.Name, Size: o.Size, Modified: timeToPB(o.Modified), Sha256: o.SHA256}
}

func objectFromPB(p *pb.ObjectInfo) storage.ObjectInfo {
	return storage.ObjectInfo{Name: p.GetName(), Size: p.GetSize(), Modified: timeFromPB(p.GetModified()), SHA256: p.GetSha256()}
}

// StorageClient implements storage.Storage (and storage.UsageReporter) by
// calling a plugin.
type StorageClient struct {
	c pb.StorageServiceClient
}

var (
	_ storage.Storage       = (*StorageClient)(nil)
	_ storage.UsageReporter = (*StorageClient)(nil)
)

func NewStorageClient(cc grpc.ClientConnInterface) *StorageClient {
	return &StorageClient{c: pb.NewStorageServiceClient(cc)}
}

func (sc *StorageClient) Test(ctx context.Context, cfg spec.Config) (string, error) {
	resp, err := sc.c.Test(ctx, &pb.StorageTestRequest{Config: configToPB(cfg)})
	return resp.GetDetail(), fromStatus(err)
}

// Upload streams r to the plugin. It returns as soon as ctx is cancelled,
// even while r is blocked in Read: the source is then abandoned (a Read in
// progress may still complete, and nothing more is read) and the plugin sees
// the upload aborted.
func (sc *StorageClient) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	// Cancelling the stream's context is how a failed read of r reaches the
	// plugin: it sees the upload aborted, never a clean end.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := sc.c.Upload(sctx)
	if err != nil {
		return storage.ObjectInfo{}, fromStatus(err)
	}
	hdr := &pb.UploadHeader{Config: configToPB(cfg), Name: req.Name, SizeHint: req.SizeHint}
	if err := stream.Send(&pb.UploadRequest{Message: &pb.UploadRequest_Header{Header: hdr}}); err != nil {
		return storage.ObjectInfo{}, closeAndRecvErr(stream, err)
	}
	type outcome struct{ sendErr, readErr error }
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		_, o.readErr = sendChunks(r, func(b []byte) error {
			o.sendErr = stream.Send(&pb.UploadRequest{Message: &pb.UploadRequest_Data{Data: b}})
			return o.sendErr
		})
		done <- o
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		return storage.ObjectInfo{}, fmt.Errorf("upload %s: %w", req.Name, ctx.Err())
	}
	if o.sendErr != nil {
		// The plugin ended the call (it failed or went away): its status says why.
		return storage.ObjectInfo{}, closeAndRecvErr(stream, o.sendErr)
	}
	if o.readErr != nil {
		cancel()
		return storage.ObjectInfo{}, fmt.Errorf("upload %s: reading source: %w", req.Name, o.readErr)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return storage.ObjectInfo{}, fromStatus(err)
	}
	return objectFromPB(resp.GetObject()), nil
}

// closeAndRecvErr fetches the status that explains why Send failed: on a
// client stream Send only reports io.EOF, the real error comes from Recv.
func closeAndRecvErr(stream grpc.ClientStreamingClient[pb.UploadRequest, pb.UploadResponse], sendErr error) error {
	if !errors.Is(sendErr, io.EOF) {
		return fromStatus(sendErr)
	}
	_, err := stream.CloseAndRecv()
	if err == nil {
		return fmt.Errorf("protocol error: plugin accepted an upload before it ended")
	}
	return fromStatus(err)
}

func (sc *StorageClient) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := sc.c.Download(ctx, &pb.DownloadRequest{Config: configToPB(cfg), Name: req.Name, Offset: req.Offset, Length: req.Length})
	if err != nil {
		cancel()
		return nil, fromStatus(err)
	}
	// A server stream reports errors on the first Recv, not on open: read one
	// message now so that a missing object fails Download itself.
	first, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		cancel()
		return nil, fromStatus(err)
	}
	pending, pendingErr := first.GetData(), err
	return &downloadReader{cancel: cancel, chunkReader: chunkReader{next: func() ([]byte, error) {
		if pending != nil || pendingErr != nil {
			b, e := pending, pendingErr
			pending, pendingErr = nil, nil
			return b, e
		}
		m, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fromStatus(err)
		}
		return m.GetData(), checkChunk(m.GetData())
	}}}, nil
}

type downloadReader struct {
	chunkReader
	cancel context.CancelFunc
}

func (d *downloadReader) Close() error {
	d.cancel()
	return nil
}

func (sc *StorageClient) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := sc.c.List(ctx, &pb.ListRequest{Config: configToPB(cfg), Prefix: prefix})
	if err != nil {
		return fromStatus(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		for _, o := range m.GetObjects() {
			if err := fn(objectFromPB(o)); err != nil {
				return err
			}
		}
	}
}

func (sc *StorageClient) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	resp, err := sc.c.Stat(ctx, &pb.StatRequest{Config: configToPB(cfg), Name: name})
	if err != nil {
		return storage.ObjectInfo{}, fromStatus(err)
	}
	return objectFromPB(resp.GetObject()), nil
}

func (sc *StorageClient) Delete(ctx context.Context, cfg spec.Config, name string) error {
	_, err := sc.c.Delete(ctx, &pb.DeleteRequest{Config: configToPB(cfg), Name: name})
	return fromStatus(err)
}

// Usage answers an error matching spec.ErrUnsupported when the plugin does
// not report usage.
func (sc *StorageClient) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	resp, err := sc.c.Usage(ctx, &pb.UsageRequest{Config: configToPB(cfg)})
	if err != nil {
		return storage.Usage{}, fromStatus(err)
	}
	return storage.Usage{UsedBytes: resp.GetUsedBytes(), FreeBytes: resp.GetFreeBytes(), TotalBytes: resp.GetTotalBytes()}, nil
}
