package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestRedisCRC(t *testing.T) {
	// The check value Redis's own crc64 test uses.
	if got := redisCRC(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %016x, want e9c6d914c4b8d9ca", got)
	}
}

// fakeRDB is a minimal snapshot body with a correct checksum.
func fakeRDB(body string) []byte {
	b := append([]byte("REDIS0010"+body), 0xff)
	return binary.LittleEndian.AppendUint64(b, redisCRC(0, b))
}

func TestRDBTail(t *testing.T) {
	rdb := fakeRDB(strings.Repeat("payload ", 100))
	mark := []byte(strings.Repeat("0123456789abcdef", 3)[:eofMarkLen])
	for _, tc := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr bool
	}{
		{"plain", rdb, rdb, false},
		{"with mark", append(append([]byte{}, rdb...), mark...), rdb, false},
		{"cut", rdb[:len(rdb)-1], nil, true},
		{"flipped bit", append(append([]byte{}, rdb[:20]...), append([]byte{rdb[20] ^ 1}, rdb[21:]...)...), nil, true},
		{"mark only", mark, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			tail := &rdbTail{w: &out}
			for i := 0; i < len(tc.in); i += 7 { // odd write sizes
				tail.Write(tc.in[i:min(i+7, len(tc.in))])
			}
			err := tail.Close()
			if tc.wantErr {
				if err == nil {
					t.Fatal("Close succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), tc.want) || tail.n != int64(len(tc.want)) {
				t.Fatalf("wrote %d bytes (n=%d), want %d", out.Len(), tail.n, len(tc.want))
			}
		})
	}
}
