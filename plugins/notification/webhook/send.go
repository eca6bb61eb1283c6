package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// webhook is the Notifier. It holds no state: configuration arrives with
// every call, and the shared transport is safe for concurrent use.
type webhook struct{}

var (
	_ notification.Notifier = (*webhook)(nil)
	_ spec.ConfigValidator  = (*webhook)(nil)
)

// sharedTransport serves every webhook that trusts the system's roots, so
// that connections to a receiver are reused between events.
var sharedTransport = newTransport(nil)

func newTransport(tlsConfig *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsConfig
	return t
}

// ValidateConfig checks the URL, headers, timeout and CA certificate without
// touching the network.
func (*webhook) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parseSettings(cfg)
	return err
}

// Send POSTs ev to the configured URL and returns nil only on a 2xx answer.
// Redirects are not followed: a webhook that moved must be reconfigured, and
// following one could hand the signature and custom headers to another host.
func (*webhook) Send(ctx context.Context, cfg spec.Config, ev notification.Event) error {
	s, err := parseSettings(cfg)
	if err != nil {
		return err
	}
	id := deliveryID()
	body, err := encodePayload(id, ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}

	// Our own timeout has its own cause, to tell it from the caller's deadline.
	errTimeout := fmt.Errorf("webhook %s did not answer within %v: %w", s.url.Host, s.timeout, spec.ErrUnavailable)
	reqCtx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, s.url.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", s.url.Host, err)
	}
	req.Header = s.headers.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dbkeep-webhook/"+version)
	req.Header.Set(headerEvent, ev.Type)
	req.Header.Set(headerDelivery, id)
	if len(s.secret) > 0 {
		ts, sig := sign(s.secret, body, time.Now())
		req.Header.Set(headerTimestamp, ts)
		req.Header.Set(headerSignature, sig)
	}

	transport := sharedTransport
	if s.roots != nil {
		transport = newTransport(&tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12})
		defer transport.CloseIdleConnections()
	}
	client := &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return requestError(ctx, reqCtx, s.url.Host, err)
	}
	defer func() {
		// Read a little of what is left so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return newAnswerError(s.url.Host, resp)
}

// requestError explains a request that got no answer. The *url.Error's own
// text is not used: it quotes the whole URL, whose path is often a token.
func requestError(callerCtx, reqCtx context.Context, host string, err error) error {
	if callerCtx.Err() != nil {
		return fmt.Errorf("webhook %s: %w", host, callerCtx.Err())
	}
	if cause := context.Cause(reqCtx); cause != nil {
		return cause
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return fmt.Errorf("webhook %s: certificate not trusted (set CA certificate for a private CA): %v", host, cert.Err)
	}
	return fmt.Errorf("webhook %s unreachable: %v: %w", host, err, spec.ErrUnavailable)
}

// deliveryID returns a random id for one delivery.
func deliveryID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
