package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/notificationtest"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// token stands for the secret many webhook URLs carry in their path; it must
// never show in an error.
const token = "tok-9f8e7d6c5b4a"

func TestConformance(t *testing.T) {
	r := startReceiver(t)
	caPEM := certPEM(t, startTLS(t, nil))
	ok := r.url("/hook/" + token)
	notificationtest.Run(t, notificationtest.Options{
		Plugin:       newPlugin(),
		Config:       spec.Config{"url": ok, "secret": "s3cret", "headers": "Authorization: Bearer abc"},
		Receiver:     r,
		Rejecting:    spec.Config{"url": r.url("/reject")},
		RejectedWith: rejection,
		Slow:         spec.Config{"url": r.url("/slow"), "timeout": "300"},
		InvalidConfigs: []notificationtest.InvalidConfig{
			{Name: "no url", Config: spec.Config{}, Fields: []string{"url"}},
			{Name: "unparsable url", Config: spec.Config{"url": "http://[::1"}, Fields: []string{"url"}},
			{Name: "ftp scheme", Config: spec.Config{"url": "ftp://example.com/hook"}, Fields: []string{"url"}},
			{Name: "no scheme", Config: spec.Config{"url": "example.com/hook"}, Fields: []string{"url"}},
			{Name: "no host", Config: spec.Config{"url": "https:///hook"}, Fields: []string{"url"}},
			{Name: "password in url", Config: spec.Config{"url": "https://u:p@example.com/"}, Fields: []string{"url"}},
			{Name: "CR injection", Config: spec.Config{"url": ok, "headers": "X-A: b\rX-Injected: c"}, Fields: []string{"headers"}},
			{Name: "header name with space", Config: spec.Config{"url": ok, "headers": "Bad Name: x"}, Fields: []string{"headers"}},
			{Name: "line without colon", Config: spec.Config{"url": ok, "headers": "X-Ok: 1\nno colon here"}, Fields: []string{"headers"}},
			{Name: "Content-Type override", Config: spec.Config{"url": ok, "headers": "content-type: text/plain"}, Fields: []string{"headers"}},
			{Name: "forged signature header", Config: spec.Config{"url": ok, "headers": "X-Dbkeep-Signature: sha256=00"}, Fields: []string{"headers"}},
			{Name: "timeout not a number", Config: spec.Config{"url": ok, "timeout": "ten"}, Fields: []string{"timeout"}},
			{Name: "timeout zero", Config: spec.Config{"url": ok, "timeout": "0"}, Fields: []string{"timeout"}},
			{Name: "timeout too long", Config: spec.Config{"url": ok, "timeout": "301"}, Fields: []string{"timeout"}},
			{Name: "ca-cert not PEM", Config: spec.Config{"url": "https://example.com/", "ca-cert": "hello"}, Fields: []string{"ca-cert"}},
			{Name: "ca-cert with http", Config: spec.Config{"url": ok, "ca-cert": caPEM}, Fields: []string{"ca-cert"}},
			{Name: "unknown field", Config: spec.Config{"url": ok, "method": "PUT"}, Fields: []string{"method"}},
			{Name: "all at once", Config: spec.Config{"url": "ftp://x", "headers": "Host: evil", "timeout": "-1"}, Fields: []string{"url", "headers", "timeout"}},
		},
	})
}

// send sends ev through the real plugin boundary.
func send(t *testing.T, cfg spec.Config, ev notification.Event) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return sdktest.Start(t, newPlugin()).Notifier().Send(ctx, cfg, ev)
}

func testEvent() notification.Event {
	return notification.Event{
		Type: "backup.failure", Severity: notification.SeverityError, Title: "Backup <prod> failed & stopped", Text: "pg_dump: exit 1",
		Execution: &notification.ExecutionRef{ID: "e1", JobID: "j1", JobName: "Nightly", URL: "https://dbkeep.example.com/executions/e1"},
		Time:      time.Date(2026, 11, 27, 2, 0, 7, 123000000, time.FixedZone("CET", 3600)),
	}
}

func receive(t *testing.T, r *receiver) delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	d, err := r.next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPayloadJSON pins the body receivers parse: key names, null execution,
// an object for fields, UTC times, no HTML escaping.
func TestPayloadJSON(t *testing.T) {
	r := startReceiver(t)
	ev := testEvent()
	if err := send(t, spec.Config{"url": r.url("/hook/" + token)}, ev); err != nil {
		t.Fatal(err)
	}
	d := receive(t, r)
	var got map[string]any
	if err := json.Unmarshal(d.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version": 1.0, "id": d.header.Get("X-Dbkeep-Delivery"), "type": "backup.failure", "severity": "error",
		"title": "Backup <prod> failed & stopped", "text": "pg_dump: exit 1", "fields": map[string]any{},
		"execution": map[string]any{"id": "e1", "jobId": "j1", "jobName": "Nightly", "url": "https://dbkeep.example.com/executions/e1"},
		"time":      "2026-11-27T01:00:07.123Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(d.body), `"title":"Backup <prod> failed & stopped"`) {
		t.Errorf("title is escaped in %s", d.body)
	}

	ev.Execution = nil
	if err := send(t, spec.Config{"url": r.url("/hook/" + token)}, ev); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, r); !strings.Contains(string(d.body), `"execution":null`) {
		t.Errorf("an event without execution: %s", d.body)
	}
}

func TestRequestHeaders(t *testing.T) {
	r := startReceiver(t)
	headers := "Authorization: Bearer abc.def\r\n\n# a comment\nX-Team:dbas \nX-Multi: 1\nX-Multi: 2 \t\n"
	if err := send(t, spec.Config{"url": r.url("/hook/" + token + "?source=dbkeep&x=%C3%A9"), "headers": headers}, testEvent()); err != nil {
		t.Fatal(err)
	}
	d := receive(t, r)
	if d.uri != "/hook/"+token+"?source=dbkeep&x=%C3%A9" {
		t.Errorf("request URI %q: path or query changed", d.uri)
	}
	got := map[string][]string{}
	for _, name := range []string{"Authorization", "X-Team", "X-Multi", "Content-Type", "User-Agent", "X-Dbkeep-Event", "X-Dbkeep-Timestamp", "X-Dbkeep-Signature"} {
		got[name] = d.header.Values(name)
	}
	want := map[string][]string{
		"Authorization": {"Bearer abc.def"}, "X-Team": {"dbas"}, "X-Multi": {"1", "2"},
		"Content-Type": {"application/json"}, "User-Agent": {"dbkeep-webhook/" + version},
		"X-Dbkeep-Event": {"backup.failure"},
		// Without a secret nothing is signed.
		"X-Dbkeep-Timestamp": nil, "X-Dbkeep-Signature": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if id := d.header.Get("X-Dbkeep-Delivery"); len(id) != 32 {
		t.Errorf("X-Dbkeep-Delivery %q: want 32 hex digits", id)
	}
}

// verify is the check the schema's help asks a receiver to make.
func verify(secret string, h http.Header, body []byte) bool {
	ts := h.Get("X-Dbkeep-Timestamp")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.Get("X-Dbkeep-Signature")))
}

func TestSignature(t *testing.T) {
	r := startReceiver(t)
	const secret = "s3cr3t with ünïcode 🔑"
	before := time.Now().Unix()
	if err := send(t, spec.Config{"url": r.url("/hook/" + token), "secret": secret}, testEvent()); err != nil {
		t.Fatal(err)
	}
	d := receive(t, r)
	if !verify(secret, d.header, d.body) {
		t.Fatalf("signature %q with timestamp %q does not verify over the received body",
			d.header.Get("X-Dbkeep-Signature"), d.header.Get("X-Dbkeep-Timestamp"))
	}
	ts, err := strconv.ParseInt(d.header.Get("X-Dbkeep-Timestamp"), 10, 64)
	if err != nil || ts < before || ts > time.Now().Unix() {
		t.Errorf("X-Dbkeep-Timestamp %q: want Unix seconds of the send", d.header.Get("X-Dbkeep-Timestamp"))
	}

	// The check can fail: another secret, a changed body, or an old timestamp
	// moved onto the request do not verify.
	tampered := append([]byte(nil), d.body...)
	tampered[len(tampered)-2] ^= 1
	replayed := d.header.Clone()
	replayed.Set("X-Dbkeep-Timestamp", strconv.FormatInt(ts+600, 10))
	for name, ok := range map[string]bool{
		"wrong secret":    verify("s3cr3t", d.header, d.body),
		"tampered body":   verify(secret, d.header, tampered),
		"moved timestamp": verify(secret, replayed, d.body),
	} {
		if ok {
			t.Errorf("%s: signature still verifies", name)
		}
	}
}

func TestAnswerErrors(t *testing.T) {
	r := startReceiver(t)
	host := strings.TrimPrefix(r.srv.URL, "http://")
	long := "quota \x1b[31mexhausted\x1b[0m\n\tfor \u202eevil\u202c this hour \xff " + strings.Repeat("padding ", 200)
	cases := []struct {
		code     int
		body     string
		want     string
		sentinel error
	}{
		{503, long, "webhook " + host + " answered 503 Service Unavailable: quota [31mexhausted [0m for evil this hour padding", spec.ErrUnavailable},
		{401, `{"error":"bad token"}`, "webhook " + host + ` answered 401 Unauthorized: {"error":"bad token"}`, spec.ErrUnauthenticated},
		{403, "", "webhook " + host + " answered 403 Forbidden", spec.ErrPermission},
		{404, "", "webhook " + host + " answered 404 Not Found", spec.ErrNotFound},
		{429, "slow down", "webhook " + host + " answered 429 Too Many Requests: slow down", spec.ErrUnavailable},
		{418, "short and stout", "webhook " + host + " answered 418 I'm a teapot: short and stout", nil},
		{500, "", "webhook " + host + " answered 500 Internal Server Error", nil},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			u := r.url("/status/"+strconv.Itoa(c.code)) + "?" + url.Values{"body": {c.body}, "t": {token}}.Encode()
			err := send(t, spec.Config{"url": u}, testEvent())
			if err == nil {
				t.Fatal("Send returned nil")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.want) {
				t.Errorf("error\n%q\ndoes not start with\n%q", msg, c.want)
			}
			if strings.ContainsAny(msg, "\x1b\n\t\u202e\u202c") || strings.Contains(msg, token) {
				t.Errorf("error %q holds control characters or the URL's token", msg)
			}
			if len([]rune(msg)) > len("webhook "+host+" answered 503 Service Unavailable: ")+snippetRunes+1 {
				t.Errorf("error is %d runes long: the snippet is not bounded", len([]rune(msg)))
			}
			for _, s := range []error{spec.ErrUnavailable, spec.ErrUnauthenticated, spec.ErrPermission, spec.ErrNotFound} {
				if errors.Is(err, s) != (s == c.sentinel) {
					t.Errorf("errors.Is(err, %v) = %v", s, errors.Is(err, s))
				}
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	r := startReceiver(t)
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(elsewhere.Close)
	r.redirectTo = elsewhere.URL + "/collect"

	err := send(t, spec.Config{"url": r.url("/redirect"), "secret": "s", "headers": "Authorization: Bearer abc"}, testEvent())
	want := "answered 307 Temporary Redirect: redirect to " + elsewhere.URL + "/collect not followed; configure the final URL"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Send: %v; want an error containing %q", err, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

// TestOwnTimeout: the timeout field bounds a receiver that never answers even
// when the caller set no deadline, and says so.
func TestOwnTimeout(t *testing.T) {
	r := startReceiver(t)
	start := time.Now()
	err := send(t, spec.Config{"url": r.url("/slow"), "timeout": "1"}, testEvent())
	elapsed := time.Since(start)
	want := "webhook " + strings.TrimPrefix(r.srv.URL, "http://") + " did not answer within 1s"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, spec.ErrUnavailable) {
		t.Errorf("Send: %v; want %q matching spec.ErrUnavailable", err, want)
	}
	if elapsed < time.Second || elapsed > 5*time.Second {
		t.Errorf("Send took %v with a 1s timeout", elapsed)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = send(t, spec.Config{"url": "http://" + addr + "/hook/" + token}, testEvent())
	if err == nil || !strings.HasPrefix(err.Error(), "webhook "+addr+" unreachable: ") || !errors.Is(err, spec.ErrUnavailable) {
		t.Errorf("Send to a closed port: %v; want \"webhook %s unreachable: ...\" matching spec.ErrUnavailable", err, addr)
	}
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error %q quotes the URL's token", err)
	}
}

// TestPrivateCA: an https receiver with a certificate the system does not
// trust is refused, and accepted once its certificate is the configured CA.
func TestPrivateCA(t *testing.T) {
	got := make(chan string, 1)
	srv := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got <- req.Header.Get("X-Dbkeep-Event")
		w.WriteHeader(http.StatusOK)
	}))
	caPEM := certPEM(t, srv)

	err := send(t, spec.Config{"url": srv.URL + "/hook"}, testEvent())
	if err == nil || !strings.Contains(err.Error(), "certificate not trusted") {
		t.Errorf("Send to an untrusted certificate: %v", err)
	}
	if err := send(t, spec.Config{"url": srv.URL + "/hook", "ca-cert": caPEM}, testEvent()); err != nil {
		t.Fatalf("Send with the receiver's CA configured: %v", err)
	}
	if ev := <-got; ev != "backup.failure" {
		t.Errorf("X-Dbkeep-Event %q", ev)
	}
}

// startTLS starts an https server on 127.0.0.1 with a certificate no system
// trusts.
func startTLS(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// certPEM returns srv's certificate as PEM: a self-signed certificate is its
// own CA.
func certPEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
