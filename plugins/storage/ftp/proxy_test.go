package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// dropProxy stands between the plugin and a plain FTP server, passive data
// connections included (it rewrites EPSV and PASV answers to ports of its
// own), so that a test can drop every connection at once, as a server that
// dies does, and bring the server "back" afterwards.
type dropProxy struct {
	t      *testing.T
	l      net.Listener
	target string // host:port of the real server
	host   string // its host, for data ports

	mu    sync.Mutex
	conns []io.Closer
	down  atomic.Bool
	// dataBytes counts bytes sent from the plugin through data connections.
	dataBytes atomic.Int64
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(target)
	p := &dropProxy{t: t, l: l, target: target, host: host}
	t.Cleanup(func() { l.Close(); p.drop() })
	go p.serve()
	return p
}

func (p *dropProxy) port() string {
	_, port, _ := net.SplitHostPort(p.l.Addr().String())
	return port
}

func (p *dropProxy) track(c io.Closer) bool {
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
		go io.Copy(s, c)
		go p.rewrite(c, s)
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

var (
	epsvReply = regexp.MustCompile(`^229 (.*)\(\|\|\|(\d+)\|\)`)
	pasvReply = regexp.MustCompile(`^227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)
)

// rewrite copies the server's replies to the client, pointing passive
// answers at a data proxy.
func (p *dropProxy) rewrite(client, server net.Conn) {
	defer client.Close()
	r := bufio.NewReader(server)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if m := epsvReply.FindStringSubmatch(line); m != nil {
			line = fmt.Sprintf("229 %s(|||%s|)\r\n", m[1], p.dataProxy(m[2]))
		} else if m := pasvReply.FindStringSubmatch(line); m != nil {
			hi, _ := strconv.Atoi(m[5])
			lo, _ := strconv.Atoi(m[6])
			port, _ := strconv.Atoi(p.dataProxy(strconv.Itoa(hi*256 + lo)))
			line = fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n", port/256, port%256)
		}
		if _, err := io.WriteString(client, line); err != nil {
			return
		}
	}
}

// dataProxy listens for one data connection to forward to the server's
// port, and returns its own port.
func (p *dropProxy) dataProxy(port string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.t.Error(err)
		return port
	}
	if !p.track(l) {
		return port
	}
	go func() {
		defer l.Close()
		c, err := l.Accept()
		if err != nil || !p.track(c) {
			return
		}
		s, err := net.Dial("tcp", net.JoinHostPort(p.host, port))
		if err != nil || !p.track(s) {
			c.Close()
			return
		}
		go func() { io.Copy(&counter{w: s, n: &p.dataBytes}, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}()
	_, own, _ := net.SplitHostPort(l.Addr().String())
	return own
}
