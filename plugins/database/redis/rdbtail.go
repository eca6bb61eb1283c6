package main

import (
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"io"
)

// rdbTail sits between redis-cli and the dump writer and checks how the
// snapshot ends, so that only a whole snapshot is ever reported as a dump.
//
// Two facts shape it:
//   - `redis-cli --rdb -` (7.0) receiving a diskless transfer writes the
//     40-character end-of-transfer mark after the snapshot: on a file it
//     truncates it away afterwards, on stdout it cannot. The mark is 40
//     hexadecimal digits, while a snapshot always ends with the EOF opcode
//     0xFF followed by its 8-byte checksum (the 0xFF is no hex digit), so the
//     two cannot be confused: a tail of 40 hex digits is the mark, dropped.
//   - Redis checksums the snapshot with CRC-64/Jones over every byte before
//     the final 8 (little endian); 0 means the server has rdbchecksum off.
//
// It holds back the last holdBack bytes until Close decides about them.
type rdbTail struct {
	w    io.Writer
	crc  uint64
	held []byte
	n    int64 // bytes passed on to w
}

const (
	eofMarkLen = 40
	holdBack   = eofMarkLen + 1 + 8
)

// jones is Redis's CRC-64 polynomial (0xad93d23594c935a9), bit-reversed as
// hash/crc64 wants it.
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC continues Redis's CRC-64 (initial value 0, no final xor) over p;
// hash/crc64 inverts before and after, so the inversions cancel.
func redisCRC(crc uint64, p []byte) uint64 { return ^crc64.Update(^crc, jones, p) }

func (t *rdbTail) Write(p []byte) (int, error) {
	t.held = append(t.held, p...)
	if over := len(t.held) - holdBack; over > 0 {
		if err := t.emit(t.held[:over]); err != nil {
			return 0, err
		}
		t.held = append(t.held[:0], t.held[over:]...)
	}
	return len(p), nil
}

func (t *rdbTail) emit(b []byte) error {
	t.crc = redisCRC(t.crc, b)
	n, err := t.w.Write(b)
	t.n += int64(n)
	return err
}

// Close checks the end of the snapshot and writes what was held back.
func (t *rdbTail) Close() error {
	tail := t.held
	if len(tail) >= holdBack && allHex(tail[len(tail)-eofMarkLen:]) {
		tail = tail[:len(tail)-eofMarkLen]
	}
	if len(tail) < 9 || tail[len(tail)-9] != 0xff {
		return fmt.Errorf("the snapshot does not end with its EOF marker: the transfer was cut short")
	}
	body, sum := tail[:len(tail)-8], binary.LittleEndian.Uint64(tail[len(tail)-8:])
	if err := t.emit(body); err != nil {
		return err
	}
	if sum != 0 && sum != t.crc {
		return fmt.Errorf("the snapshot's checksum is %016x but its bytes sum to %016x: it was damaged in transfer", sum, t.crc)
	}
	n, err := t.w.Write(tail[len(tail)-8:])
	t.n += int64(n)
	return err
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
