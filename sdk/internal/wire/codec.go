package wire

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
)

// chunkCodec is gRPC's protobuf codec, except that a received message that
// is nothing but a data chunk is decoded by hand so that its bytes alias the
// received buffer. protobuf-go always copies bytes fields out of the input;
// on the data path that copy is a full extra pass over every byte moved.
type chunkCodec struct {
	encoding.CodecV2
}

func newChunkCodec() chunkCodec {
	return chunkCodec{CodecV2: encoding.GetCodecV2("proto")}
}

func (c chunkCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if field := chunkField(v); field != 0 {
		// Materialize copies out of gRPC's pooled frame buffers into memory
		// the message may keep.
		buf := data.Materialize()
		if chunk, ok := onlyBytesField(buf, field); ok {
			setChunk(v, chunk)
			return nil
		}
	}
	return c.CodecV2.Unmarshal(data, v)
}

// chunkField is the field number of the data bytes of the messages that
// carry chunks, or 0 for every other message.
func chunkField(v any) protowire.Number {
	switch v.(type) {
	case *pb.DumpResponse, *pb.UploadRequest, *pb.RestoreRequest:
		return 2
	case *pb.DownloadResponse:
		return 1
	}
	return 0
}

func setChunk(v any, chunk []byte) {
	switch m := v.(type) {
	case *pb.DumpResponse:
		m.Message = &pb.DumpResponse_Data{Data: chunk}
	case *pb.UploadRequest:
		m.Message = &pb.UploadRequest_Data{Data: chunk}
	case *pb.RestoreRequest:
		m.Message = &pb.RestoreRequest_Data{Data: chunk}
	case *pb.DownloadResponse:
		m.Data = chunk
	}
}

// onlyBytesField returns the value of field when b encodes exactly one
// field, that field, as bytes. Anything else (a header, a log line, unknown
// fields) is left to the regular decoder.
func onlyBytesField(b []byte, field protowire.Number) ([]byte, bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != field || typ != protowire.BytesType {
		return nil, false
	}
	v, m := protowire.ConsumeBytes(b[n:])
	if m < 0 || n+m != len(b) {
		return nil, false
	}
	return v, true
}

// codecCallOption and codecServerOption install the codec on each side.
func codecCallOption() grpc.CallOption     { return grpc.ForceCodecV2(newChunkCodec()) }
func codecServerOption() grpc.ServerOption { return grpc.ForceServerCodecV2(newChunkCodec()) }
