package spec

// Versions of this SDK and of the wire protocol it speaks.
//
// ProtocolMajor is negotiated in the go-plugin handshake: a core and a plugin
// with different majors do not talk. ProtocolMinor travels in Describe and only
// grows for additive changes (a new optional RPC, a new field). Minor 1 added
// DatabaseService.CountRows and RestoreResult.warnings.
const (
	SDKVersion    = "0.1.0"
	ProtocolMajor = 1
	ProtocolMinor = 1
)

// Stream limits. Bytes cross the boundary as chunks of at most ChunkSize; no
// gRPC message may exceed MaxMessageSize, which leaves room for a chunk's framing
// and for the largest non-data message (a listing batch).
const (
	ChunkSize      = 1 << 20
	MaxMessageSize = 4 << 20
)
