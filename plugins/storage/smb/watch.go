package main

import (
	"encoding/binary"
	"net"
	"sync"
)

// The SMB client library keeps the negotiated dialect and whether it
// encrypts to itself. Both matter to a backup's safety, so the connection
// is watched instead: SMB over TCP frames each message with a 4-byte
// length, and the first bytes of a message say what it is.
const (
	// headLen is what a frame's start must hold: the 64-byte SMB2 header
	// and the start of a NEGOTIATE response (StructureSize, SecurityMode,
	// DialectRevision).
	headLen = 64 + 6
	// transformID starts an encrypted message (SMB2 TRANSFORM_HEADER).
	transformID = "\xfdSMB"
	// smb2ID starts a plain SMB2 message.
	smb2ID = "\xfeSMB"
)

// watchedConn is a net.Conn that notes the start of every frame each way.
type watchedConn struct {
	net.Conn
	mu      sync.Mutex
	in, out frameScanner
	dialect uint16 // from the server's first message, the NEGOTIATE response
	armed   bool   // counting frames sent since arm
	plain   int    // frames sent unencrypted since arm
	enc     int    // frames sent encrypted since arm
}

func watch(c net.Conn) *watchedConn {
	w := &watchedConn{Conn: c}
	w.in.onHead = func(head []byte) {
		if w.dialect == 0 && len(head) >= headLen && string(head[:4]) == smb2ID {
			w.dialect = binary.LittleEndian.Uint16(head[68:70])
		}
	}
	w.out.onHead = func(head []byte) {
		if !w.armed || len(head) < 4 {
			return
		}
		if string(head[:4]) == transformID {
			w.enc++
		} else {
			w.plain++
		}
	}
	return w
}

func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.mu.Lock()
	w.in.scan(p[:n])
	w.mu.Unlock()
	return n, err
}

func (w *watchedConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.mu.Lock()
	w.out.scan(p[:n])
	w.mu.Unlock()
	return n, err
}

// negotiated is the dialect the server chose, 0 before it answered.
func (w *watchedConn) negotiated() uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dialect
}

// arm starts counting the frames sent, encrypted and plain.
func (w *watchedConn) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed, w.plain, w.enc = true, 0, 0
}

// sent reports the frames sent since arm: encrypted and plain.
func (w *watchedConn) sent() (enc, plain int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc, w.plain
}

// frameScanner follows the direct-TCP framing of a byte stream (a zero
// byte, a 3-byte big-endian length, the message) and hands onHead the
// first headLen bytes of each message, or all of a shorter one.
type frameScanner struct {
	hdr      [4]byte
	nhdr     int
	left     int // message bytes still to come
	head     []byte
	reported bool
	onHead   func(head []byte)
}

func (f *frameScanner) scan(p []byte) {
	for len(p) > 0 {
		if f.left == 0 {
			k := copy(f.hdr[f.nhdr:], p)
			f.nhdr += k
			p = p[k:]
			if f.nhdr < 4 {
				return
			}
			f.nhdr = 0
			f.left = int(binary.BigEndian.Uint32(f.hdr[:]) & 0xffffff)
			f.head, f.reported = f.head[:0], false
			continue
		}
		k := min(len(p), f.left)
		if !f.reported {
			f.head = append(f.head, p[:min(k, headLen-len(f.head))]...)
		}
		f.left -= k
		p = p[k:]
		if !f.reported && (len(f.head) == headLen || f.left == 0) {
			f.reported = true
			f.onHead(f.head)
		}
	}
}
