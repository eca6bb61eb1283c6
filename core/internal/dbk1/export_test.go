package dbk1

import "io"

// FixChecksum is for the external tests: it rewrites a header's checksum
// after they changed a field, to reach the checks behind it.
func FixChecksum(obj []byte) []byte {
	copy(obj[offChecksum:], checksum(obj))
	return obj
}

// NewWriterRand is NewWriterSize with the salt and nonce prefix read from
// random: the fuzz test's worker processes must all make the same seeds.
func NewWriterRand(w io.Writer, key []byte, chunkSize int, random io.Reader) (io.WriteCloser, error) {
	return newWriter(w, key, chunkSize, random)
}
