package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// sqliteMagic opens every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFileShape reads the 100-byte header of the file at path and checks
// that its size is exactly the page count the header records. A dump cut at
// a page boundary is otherwise a valid-looking smaller file whose missing
// pages SQLite may not notice until they are read.
func checkFileShape(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("not a SQLite database: %d-byte header: %w", 100, err)
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return checkShape(h[:], st.Size())
}

// checkShape checks a file's 100-byte header against its size (see
// checkFileShape); the remote mode runs it on the bytes as they pass.
func checkShape(h []byte, size int64) error {
	if len(h) < 100 {
		return fmt.Errorf("not a SQLite database: %d bytes", size)
	}
	if !bytes.Equal(h[:16], []byte(sqliteMagic)) {
		return fmt.Errorf("not a SQLite database (bad magic)")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("corrupt SQLite header: page size %d", pageSize)
	}
	if size%pageSize != 0 {
		return fmt.Errorf("truncated SQLite file: %d bytes is not a whole number of %d-byte pages", size, pageSize)
	}
	// The in-header page count is valid when the version-valid-for number
	// matches the change counter; VACUUM INTO always writes it so.
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28]) && pages*pageSize != size {
		return fmt.Errorf("truncated SQLite file: header says %d pages of %d bytes, file has %d bytes", pages, pageSize, size)
	}
	return nil
}

// shapeCheck records the header and size of a stream, for checkShape.
type shapeCheck struct {
	head []byte
	size int64
}

func (s *shapeCheck) see(p []byte) {
	if need := 100 - len(s.head); need > 0 {
		s.head = append(s.head, p[:min(need, len(p))]...)
	}
	s.size += int64(len(p))
}

func (s *shapeCheck) check() error { return checkShape(s.head, s.size) }
