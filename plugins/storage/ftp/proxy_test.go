package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dropProxy stands between the plugin and a plain FTP server, passive data
// connections included (it rewrites EPSV and PASV answers to ports of its
// own), so that a test can drop every connection at once, as a server that
// dies does, and bring the server "back" afterwards; or so that the plugin
// can speak implicit TLS to a server that has none (rclone's implicit FTPS
// leaves data connections plain).
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

	// tls, when set, makes the proxy an implicit-TLS front for a plain
	// server: it speaks TLS to the plugin on control and data connections,
	// and answers PBSZ and PROT itself.
	tls *tls.Config
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	return newProxy(t, target, nil)
}

// newImplicitTLSProxy fronts a plain FTP server with implicit TLS.
func newImplicitTLSProxy(t *testing.T, target string, conf *tls.Config) *dropProxy {
	return newProxy(t, target, conf)
}

func newProxy(t *testing.T, target string, conf *tls.Config) *dropProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(target)
	p := &dropProxy{t: t, l: l, target: target, host: host, tls: conf}
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
		if p.tls != nil {
			c = tls.Server(c, p.tls)
		}
		var mu sync.Mutex // replies from the server and from the proxy itself
		go p.commands(c, s, &mu)
		go p.rewrite(c, s, &mu)
	}
}

// commands copies the plugin's commands to the server; with TLS in front,
// it answers the data protection commands, which the plain server refuses.
func (p *dropProxy) commands(client, server net.Conn, mu *sync.Mutex) {
	defer server.Close()
	r := bufio.NewReader(client)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.Fields(line + " x")[0])
		if p.tls != nil && (cmd == "PBSZ" || cmd == "PROT") {
			mu.Lock()
			_, err = io.WriteString(client, "200 OK\r\n")
			mu.Unlock()
		} else {
			_, err = io.WriteString(server, line)
		}
		if err != nil {
			return
		}
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
func (p *dropProxy) rewrite(client, server net.Conn, mu *sync.Mutex) {
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
		mu.Lock()
		_, err = io.WriteString(client, line)
		mu.Unlock()
		if err != nil {
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
		if p.tls != nil {
			c = tls.Server(c, p.tls)
		}
		s, err := net.Dial("tcp", net.JoinHostPort(p.host, port))
		if err != nil || !p.track(s) {
			c.Close()
			return
		}
		// Each direction ends with a half-close, so that neither side
		// closes a socket holding unread bytes (which resets the other).
		go func() { io.Copy(&counter{w: s, n: &p.dataBytes}, c); closeWrite(s) }()
		go func() { io.Copy(c, s); closeWrite(c) }()
	}()
	_, own, _ := net.SplitHostPort(l.Addr().String())
	return own
}

// closeWrite half-closes c, and closes it whole a while later in case the
// other side never does.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		// An empty transfer never wrote: finish the handshake the client
		// started, or closing would reset its connection.
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		tc.Handshake()
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		time.AfterFunc(10*time.Second, func() { c.Close() })
		return
	}
	c.Close()
}
