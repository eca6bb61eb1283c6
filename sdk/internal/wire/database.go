package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"

	"github.com/dbkeep/dbkeep/sdk/database"
	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

type databaseServer struct {
	pb.UnimplementedDatabaseServiceServer
	s *Server
}

func (ds *databaseServer) Test(ctx context.Context, req *pb.DatabaseTestRequest) (*pb.DatabaseTestResponse, error) {
	cfg, err := ds.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := ds.s.Database.Test(ctx, cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.DatabaseTestResponse{Server: serverToPB(info)}, nil
}

func (ds *databaseServer) ListDatabases(ctx context.Context, req *pb.ListDatabasesRequest) (*pb.ListDatabasesResponse, error) {
	cfg, err := ds.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	dbs, err := ds.s.Database.ListDatabases(ctx, cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pb.ListDatabasesResponse{}
	for _, d := range dbs {
		resp.Databases = append(resp.Databases, &pb.DatabaseInfo{Name: d.Name, SizeBytes: d.SizeBytes})
	}
	return resp, nil
}

// dumpSender is the DumpWriter the SDK hands to Database.Dump: it frames the
// header, the data chunks and the interleaved log and progress messages, one
// Send at a time.
type dumpSender struct {
	mu     sync.Mutex
	stream grpc.ServerStreamingServer[pb.DumpResponse]
	begun  bool
	data   *chunkWriter
	err    error // first send error; later calls return it
}

func newDumpSender(stream grpc.ServerStreamingServer[pb.DumpResponse]) *dumpSender {
	d := &dumpSender{stream: stream}
	d.data = newChunkWriter(func(b []byte) error {
		return d.send(&pb.DumpResponse{Message: &pb.DumpResponse_Data{Data: b}})
	})
	return d
}

// send is called with mu held.
func (d *dumpSender) send(m *pb.DumpResponse) error {
	if d.err == nil {
		d.err = d.stream.Send(m)
	}
	return d.err
}

func (d *dumpSender) Begin(h database.DumpHeader) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.begun {
		return errors.New("plugin bug: DumpWriter.Begin called twice")
	}
	d.begun = true
	return d.send(&pb.DumpResponse{Message: &pb.DumpResponse_Header{Header: dumpHeaderToPB(h)}})
}

func (d *dumpSender) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.begun {
		return 0, errors.New("plugin bug: DumpWriter.Write before Begin")
	}
	return d.data.Write(p)
}

func (d *dumpSender) Log(level spec.Level, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.send(&pb.DumpResponse{Message: &pb.DumpResponse_Log{Log: logToPB(level, msg)}})
}

func (d *dumpSender) Progress(p spec.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.send(&pb.DumpResponse{Message: &pb.DumpResponse_Progress{Progress: progressToPB(p)}})
}

// finish flushes buffered data after a successful dump.
func (d *dumpSender) finish() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.begun {
		return errors.New("plugin bug: dump ended without a header (DumpWriter.Begin never called)")
	}
	if err := d.data.Flush(); err != nil {
		return err
	}
	return d.err
}

func (ds *databaseServer) Dump(req *pb.DumpRequest, stream grpc.ServerStreamingServer[pb.DumpResponse]) error {
	ctx := stream.Context()
	cfg, err := ds.s.config(ctx, req.GetConfig())
	if err != nil {
		return toStatus(err)
	}
	w := newDumpSender(stream)
	if err := ds.s.Database.Dump(ctx, cfg, database.DumpRequest{Database: req.GetDatabase(), Options: req.GetOptions()}, w); err != nil {
		return toStatus(err)
	}
	return toStatus(w.finish())
}

func (ds *databaseServer) restorer() (database.Restorer, error) {
	r, ok := ds.s.Database.(database.Restorer)
	if !ok {
		return nil, fmt.Errorf("restore: %w", spec.ErrUnsupported)
	}
	return r, nil
}

func (ds *databaseServer) PrepareRestore(ctx context.Context, req *pb.PrepareRestoreRequest) (*pb.PrepareRestoreResponse, error) {
	r, err := ds.restorer()
	if err != nil {
		return nil, toStatus(err)
	}
	cfg, err := ds.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	priv, err := ds.s.privileged(req.GetPrivileged())
	if err != nil {
		return nil, toStatus(err)
	}
	plan, err := r.PrepareRestore(ctx, cfg, database.RestoreRequest{
		Source: dumpHeaderFromPB(req.GetSource()), TargetDatabase: req.GetTargetDatabase(), Privileged: priv,
		Options: req.GetOptions(),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.PrepareRestoreResponse{
		TargetServer: serverToPB(plan.TargetServer), TargetExists: plan.TargetExists,
		Problems: plan.Problems, Warnings: plan.Warnings,
	}, nil
}

// restoreReporter sends log and progress messages of a restore.
type restoreReporter struct {
	mu     sync.Mutex
	stream grpc.BidiStreamingServer[pb.RestoreRequest, pb.RestoreResponse]
}

func (r *restoreReporter) send(m *pb.RestoreResponse) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stream.Send(m)
}

func (r *restoreReporter) Log(level spec.Level, msg string) {
	_ = r.send(&pb.RestoreResponse{Message: &pb.RestoreResponse_Log{Log: logToPB(level, msg)}})
}

func (r *restoreReporter) Progress(p spec.Progress) {
	_ = r.send(&pb.RestoreResponse{Message: &pb.RestoreResponse_Progress{Progress: progressToPB(p)}})
}

func (ds *databaseServer) Restore(stream grpc.BidiStreamingServer[pb.RestoreRequest, pb.RestoreResponse]) error {
	ctx := stream.Context()
	r, err := ds.restorer()
	if err != nil {
		return toStatus(err)
	}
	first, err := stream.Recv()
	if err != nil {
		return toStatus(fmt.Errorf("restore: reading header: %w", err))
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return toStatus(fmt.Errorf("protocol error: restore did not start with a header: %w", spec.ErrInvalidArgument))
	}
	cfg, err := ds.s.config(ctx, hdr.GetConfig())
	if err != nil {
		return toStatus(err)
	}
	priv, err := ds.s.privileged(hdr.GetPrivileged())
	if err != nil {
		return toStatus(err)
	}
	var n int64
	body := &chunkReader{next: func() ([]byte, error) {
		m, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		d, ok := m.GetMessage().(*pb.RestoreRequest_Data)
		if !ok {
			return nil, fmt.Errorf("protocol error: restore sent a second header: %w", spec.ErrInvalidArgument)
		}
		n += int64(len(d.Data))
		return d.Data, checkChunk(d.Data)
	}}
	rep := &restoreReporter{stream: stream}
	res, err := r.Restore(ctx, cfg, database.RestoreRequest{
		Source: dumpHeaderFromPB(hdr.GetSource()), TargetDatabase: hdr.GetTargetDatabase(),
		Privileged: priv, Options: hdr.GetOptions(),
	}, body, rep)
	if err != nil {
		return toStatus(err)
	}
	if body.err != io.EOF {
		return toStatus(fmt.Errorf("plugin bug: restore into %q returned before reading the whole dump (%d bytes read)", hdr.GetTargetDatabase(), n))
	}
	res.BytesRead = n
	return toStatus(rep.send(&pb.RestoreResponse{Message: &pb.RestoreResponse_Result{Result: &pb.RestoreResult{
		TargetDatabase: res.TargetDatabase, BytesRead: res.BytesRead, Warnings: res.Warnings,
	}}}))
}

func (ds *databaseServer) CountRows(ctx context.Context, req *pb.CountRowsRequest) (*pb.CountRowsResponse, error) {
	rc, ok := ds.s.Database.(database.RowCounter)
	if !ok {
		return nil, toStatus(fmt.Errorf("count rows: %w", spec.ErrUnsupported))
	}
	cfg, err := ds.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	tables, err := rc.CountRows(ctx, cfg, database.CountRowsRequest{Database: req.GetDatabase(), Estimate: req.GetEstimate()})
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pb.CountRowsResponse{Tables: make([]*pb.TableRows, len(tables))}
	for i, t := range tables {
		resp.Tables[i] = &pb.TableRows{Schema: t.Schema, Table: t.Table, Rows: t.Rows, Exact: t.Exact}
	}
	return resp, nil
}

func serverToPB(s database.ServerInfo) *pb.ServerInfo {
	return &pb.ServerInfo{Engine: s.Engine, Version: s.Version, Edition: s.Edition}
}

func serverFromPB(p *pb.ServerInfo) database.ServerInfo {
	return database.ServerInfo{Engine: p.GetEngine(), Version: p.GetVersion(), Edition: p.GetEdition()}
}

func dumpHeaderToPB(h database.DumpHeader) *pb.DumpHeader {
	return &pb.DumpHeader{Database: h.Database, Format: h.Format, Extension: h.Extension, Server: serverToPB(h.Server), Metadata: h.Metadata}
}

func dumpHeaderFromPB(p *pb.DumpHeader) database.DumpHeader {
	return database.DumpHeader{
		Database: p.GetDatabase(), Format: p.GetFormat(), Extension: p.GetExtension(),
		Server: serverFromPB(p.GetServer()), Metadata: p.GetMetadata(),
	}
}

// DatabaseClient implements database.Database, database.Restorer and
// database.RowCounter by calling a plugin.
type DatabaseClient struct {
	c pb.DatabaseServiceClient
}

var (
	_ database.Database   = (*DatabaseClient)(nil)
	_ database.Restorer   = (*DatabaseClient)(nil)
	_ database.RowCounter = (*DatabaseClient)(nil)
)

func NewDatabaseClient(cc grpc.ClientConnInterface) *DatabaseClient {
	return &DatabaseClient{c: pb.NewDatabaseServiceClient(cc)}
}

func (dc *DatabaseClient) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	resp, err := dc.c.Test(ctx, &pb.DatabaseTestRequest{Config: configToPB(cfg)})
	if err != nil {
		return database.ServerInfo{}, fromStatus(err)
	}
	return serverFromPB(resp.GetServer()), nil
}

func (dc *DatabaseClient) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	resp, err := dc.c.ListDatabases(ctx, &pb.ListDatabasesRequest{Config: configToPB(cfg)})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]database.DatabaseInfo, 0, len(resp.GetDatabases()))
	for _, d := range resp.GetDatabases() {
		out = append(out, database.DatabaseInfo{Name: d.GetName(), SizeBytes: d.GetSizeBytes()})
	}
	return out, nil
}

// Dump relays the plugin's dump into w. If w.Write fails, the call is
// cancelled, which kills the dump tool inside the plugin.
func (dc *DatabaseClient) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := dc.c.Dump(ctx, &pb.DumpRequest{Config: configToPB(cfg), Database: req.Database, Options: req.Options})
	if err != nil {
		return fromStatus(err)
	}
	begun := false
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if !begun {
				return errors.New("protocol error: dump ended without a header")
			}
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		switch msg := m.GetMessage().(type) {
		case *pb.DumpResponse_Header:
			if begun {
				return errors.New("protocol error: dump sent a second header")
			}
			begun = true
			if err := w.Begin(dumpHeaderFromPB(msg.Header)); err != nil {
				return err
			}
		case *pb.DumpResponse_Data:
			if !begun {
				return errors.New("protocol error: dump sent data before its header")
			}
			if err := checkChunk(msg.Data); err != nil {
				return err
			}
			if _, err := w.Write(msg.Data); err != nil {
				return err
			}
		case *pb.DumpResponse_Log:
			e := logFromPB(msg.Log)
			w.Log(e.Level, e.Message)
		case *pb.DumpResponse_Progress:
			w.Progress(progressFromPB(msg.Progress))
		}
	}
}

func (dc *DatabaseClient) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	resp, err := dc.c.PrepareRestore(ctx, &pb.PrepareRestoreRequest{
		Config: configToPB(cfg), Privileged: configToPB(req.Privileged),
		Source: dumpHeaderToPB(req.Source), TargetDatabase: req.TargetDatabase, Options: req.Options,
	})
	if err != nil {
		return database.RestorePlan{}, fromStatus(err)
	}
	return database.RestorePlan{
		TargetServer: serverFromPB(resp.GetTargetServer()), TargetExists: resp.GetTargetExists(),
		Problems: resp.GetProblems(), Warnings: resp.GetWarnings(),
	}, nil
}

// Restore streams r to the plugin while relaying its log and progress to rep.
// Like StorageClient.Upload, it returns as soon as ctx is cancelled, even while
// r is blocked in Read; the source is then abandoned.
func (dc *DatabaseClient) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	if rep == nil {
		rep = spec.Discard
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := dc.c.Restore(sctx)
	if err != nil {
		return database.RestoreResult{}, fromStatus(err)
	}
	// readFailed is filled before the stream is cancelled, so that when the
	// plugin's answer is "cancelled" the receive loop can tell why.
	readFailed := make(chan error, 1)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		hdr := &pb.RestoreHeader{
			Config: configToPB(cfg), Privileged: configToPB(req.Privileged), Source: dumpHeaderToPB(req.Source),
			TargetDatabase: req.TargetDatabase, Options: req.Options,
		}
		if err := stream.Send(&pb.RestoreRequest{Message: &pb.RestoreRequest_Header{Header: hdr}}); err != nil {
			return // the receive loop reports the plugin's status
		}
		var sendErr error
		_, err := sendChunks(r, func(b []byte) error {
			sendErr = stream.Send(&pb.RestoreRequest{Message: &pb.RestoreRequest_Data{Data: b}})
			return sendErr
		})
		switch {
		case sendErr != nil:
		case err != nil:
			readFailed <- fmt.Errorf("restore %s: reading dump: %w", req.TargetDatabase, err)
			cancel() // the plugin must see an abort, not a clean end
		default:
			_ = stream.CloseSend()
		}
	}()
	var result *pb.RestoreResult
	var recvErr error
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			recvErr = fromStatus(err)
			break
		}
		switch msg := m.GetMessage().(type) {
		case *pb.RestoreResponse_Log:
			e := logFromPB(msg.Log)
			rep.Log(e.Level, e.Message)
		case *pb.RestoreResponse_Progress:
			rep.Progress(progressFromPB(msg.Progress))
		case *pb.RestoreResponse_Result:
			result = msg.Result
		}
	}
	select {
	case err := <-readFailed:
		return database.RestoreResult{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return database.RestoreResult{}, fmt.Errorf("restore %s: %w", req.TargetDatabase, err)
	}
	if recvErr != nil {
		return database.RestoreResult{}, recvErr
	}
	if result == nil {
		return database.RestoreResult{}, errors.New("protocol error: restore ended without a result")
	}
	// The plugin answers only after the whole dump arrived, so the sender is
	// done or about to be.
	<-sent
	return database.RestoreResult{
		TargetDatabase: result.GetTargetDatabase(), BytesRead: result.GetBytesRead(), Warnings: result.GetWarnings(),
	}, nil
}

// CountRows answers an error matching spec.ErrUnsupported when the plugin
// cannot count rows (an older plugin answers UNIMPLEMENTED).
func (dc *DatabaseClient) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	resp, err := dc.c.CountRows(ctx, &pb.CountRowsRequest{Config: configToPB(cfg), Database: req.Database, Estimate: req.Estimate})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]database.TableRows, len(resp.GetTables()))
	for i, t := range resp.GetTables() {
		out[i] = database.TableRows{Schema: t.GetSchema(), Table: t.GetTable(), Rows: t.GetRows(), Exact: t.GetExact()}
	}
	return out, nil
}
