package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// outage is a TCP relay to the real S3 server that can play a network
// outage: while down, it cuts the connections it relays and drops every new
// one after reading its request line, which it notes. Up again, it relays.
type outage struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	down    bool
	conns   []net.Conn
	dropped []string // request lines of connections dropped while down
	// upAfter, when positive, brings the link back once that many DELETE
	// requests were dropped.
	upAfter int
}

func newOutage(t *testing.T, target string) *outage {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &outage{l: l, target: target}
	t.Cleanup(func() { l.Close(); o.cut() })
	go o.serve()
	return o
}

func (o *outage) serve() {
	for {
		in, err := o.l.Accept()
		if err != nil {
			return
		}
		go o.relay(in)
	}
}

func (o *outage) relay(in net.Conn) {
	br := bufio.NewReader(in)
	line, err := br.ReadString('\n')
	if err != nil {
		in.Close()
		return
	}
	o.mu.Lock()
	if o.down {
		o.dropped = append(o.dropped, strings.TrimSpace(line))
		deletes := 0
		for _, l := range o.dropped {
			if strings.HasPrefix(l, "DELETE ") {
				deletes++
			}
		}
		if o.upAfter > 0 && deletes >= o.upAfter {
			o.down = false
		}
		o.mu.Unlock()
		in.Close()
		return
	}
	out, err := net.Dial("tcp", o.target)
	if err != nil {
		o.mu.Unlock()
		in.Close()
		return
	}
	o.conns = append(o.conns, in, out)
	o.mu.Unlock()
	go func() { io.WriteString(out, line); io.Copy(out, br); out.Close() }()
	io.Copy(in, out)
	in.Close()
}

// cut closes every connection relayed so far.
func (o *outage) cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.conns {
		c.Close()
	}
	o.conns = nil
}

// fail takes the link down until upAfter DELETE requests were dropped.
func (o *outage) fail(upAfter int) {
	o.mu.Lock()
	o.down, o.upAfter = true, upAfter
	o.mu.Unlock()
	o.cut()
}

func (o *outage) deletesDropped() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, l := range o.dropped {
		if strings.HasPrefix(l, "DELETE ") {
			n++
		}
	}
	return n
}

// TestAbortIsRetriedUntilTheServerIsBack: the network fails mid-upload and
// stays down for longer than the S3 client's own retries of the abort; the
// plugin tries again with backoff, reaches the server once it is back, and
// aborts the multipart upload: no parts stay stored, and the upload's error
// does not claim any may remain.
func TestAbortIsRetriedUntilTheServerIsBack(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	bucket := srv.bucket(t)
	link := newOutage(t, strings.TrimPrefix(strings.TrimPrefix(srv.endpoint, "http://"), "https://"))
	cfg := srv.config(bucket)
	cfg["endpoint"] = "http://" + link.l.Addr().String()
	c, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	u := &upload{c: c, key: c.key("set/db.sql"), name: "set/db.sql", started: func(id string) { started <- id }}
	done := make(chan error, 1)
	go func() {
		_, err := u.run(t.Context(), io.LimitReader(pattern{}, 64<<20), -1)
		done <- err
	}()
	var id string
	select {
	case id = <-started:
	case err := <-done:
		t.Fatalf("the upload ended before a multipart upload started: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no multipart upload started within 30s")
	}
	admin := minio.Core{Client: srv.admin}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := admin.ListObjectParts(t.Context(), bucket, u.key, id, 0, 1000); err == nil && len(res.ObjectParts) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("two parts were not stored within 30s")
		}
	}
	// minio-go tries a request up to MaxRetry times itself: the link stays
	// down beyond one whole AbortMultipartUpload call of the plugin's.
	link.fail(minio.MaxRetry + 2)

	var uerr error
	select {
	case uerr = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the upload did not end within 3 minutes")
	}
	t.Logf("upload with the network down: %v", uerr)
	if !errors.Is(uerr, spec.ErrUnavailable) || !strings.Contains(uerr.Error(), "set/db.sql") {
		t.Errorf("upload with the network down: %v; want unavailable, naming the object", uerr)
	}
	if strings.Contains(uerr.Error(), "may remain") {
		t.Errorf("upload with the network down: %v; the abort succeeded in the end, yet the error says parts may remain", uerr)
	}
	if n := link.deletesDropped(); n <= minio.MaxRetry {
		t.Errorf("%d abort requests were dropped; want more than the client's own %d retries", n, minio.MaxRetry)
	}
	if _, err := admin.ListObjectParts(t.Context(), bucket, u.key, id, 0, 1000); !gone(err) {
		t.Errorf("the multipart upload is still open: %v", err)
	}
}
