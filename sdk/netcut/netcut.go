package netcut

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Relay forwards connections from a loopback port to the real server.
// Connections opened after a Cut keep working.
type Relay struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewRelay listens on a free loopback port and relays every connection to
// target; it stops when the test ends.
func NewRelay(t testing.TB, target string) *Relay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{l: l}
	t.Cleanup(func() { l.Close(); r.Cut() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, in, out)
			r.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return r
}

// Port is the relay's loopback port, for the plugin's configuration.
func (r *Relay) Port() string { return strconv.Itoa(r.l.Addr().(*net.TCPAddr).Port) }

// Cut closes every connection relayed so far.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, conn := range r.conns {
		conn.Close()
	}
	r.conns = nil
}

// Zeros yields N zero bytes and calls At once, as soon as Mark bytes have
// been read.
type Zeros struct {
	N, Mark int64
	At      func()
	read    int64
}

func (z *Zeros) Read(p []byte) (int, error) {
	if z.read >= z.N {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.N-z.read)]
	clear(p)
	before := z.read
	z.read += int64(len(p))
	if before < z.Mark && z.read >= z.Mark && z.At != nil {
		z.At()
	}
	return len(p), nil
}
