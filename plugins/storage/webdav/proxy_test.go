package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// dropProxy stands between the plugin and the server, so that a test can
// drop every connection at once, as a server that dies does, and bring the
// server "back" afterwards.
type dropProxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
	down  atomic.Bool
	// sent counts bytes from the plugin to the server.
	sent atomic.Int64
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{l: l, target: target}
	t.Cleanup(func() { l.Close(); p.drop() })
	go p.serve()
	return p
}

func (p *dropProxy) addr() string { return p.l.Addr().String() }

func (p *dropProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down.Load() {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

// drop closes every connection and refuses new ones until restore.
func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down.Store(true)
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dropProxy) restore() { p.down.Store(false) }

func (p *dropProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil || !p.track(s) {
			c.Close()
			continue
		}
		go func() { io.Copy(&counter{w: s, n: &p.sent}, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

type counter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *counter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}
