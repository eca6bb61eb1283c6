package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/notification"
)

// receiver is a real HTTP server on 127.0.0.1 playing every receiver the
// tests need:
//
//	POST /hook/{token}   decodes the JSON strictly, records it, answers 204
//	POST /reject         answers 503 with a reason in the body
//	POST /slow           never answers (until the client gives up)
//	POST /status/{code}  answers code, with the "body" query value as body
//	POST /redirect       answers 307 to /hook on another server (see redirectTo)
type receiver struct {
	t          *testing.T
	srv        *httptest.Server
	got        chan delivery
	redirectTo string
}

// delivery is one request received on /hook.
type delivery struct {
	header http.Header
	uri    string
	body   []byte
	event  notification.Event
}

// wireEvent is the JSON body as a receiver written from the documentation
// would read it: declared here, not borrowed from the plugin, so that a
// change to the plugin's payload type shows up as a failing test.
type wireEvent struct {
	Version   int               `json:"version"`
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Severity  string            `json:"severity"`
	Title     string            `json:"title"`
	Text      string            `json:"text"`
	Fields    map[string]string `json:"fields"`
	Execution *struct {
		ID      string `json:"id"`
		JobID   string `json:"jobId"`
		JobName string `json:"jobName"`
		URL     string `json:"url"`
	} `json:"execution"`
	Time string `json:"time"`
}

const rejection = "quota exhausted for this hour"

func startReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: make(chan delivery, 64)}
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook/{token}", r.hook)
	mux.HandleFunc("POST /reject", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"`+rejection+`"}`, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /slow", func(_ http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-stop:
		}
	})
	mux.HandleFunc("POST /status/{code}", func(w http.ResponseWriter, req *http.Request) {
		code, _ := strconv.Atoi(req.PathValue("code"))
		w.WriteHeader(code)
		io.WriteString(w, req.URL.Query().Get("body"))
	})
	mux.HandleFunc("POST /redirect", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, r.redirectTo, http.StatusTemporaryRedirect)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: a hung /slow must not block Close
	return r
}

// url returns the receiver's address with path.
func (r *receiver) url(path string) string { return r.srv.URL + path }

func (r *receiver) hook(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var we wireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&we); err != nil {
		r.t.Errorf("receiver: body is not the documented JSON: %v\n%s", err, body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ev, err := we.event()
	if err != nil {
		r.t.Errorf("receiver: %v", err)
	}
	r.got <- delivery{header: req.Header.Clone(), uri: req.RequestURI, body: body, event: ev}
	w.WriteHeader(http.StatusNoContent)
}

// event maps the JSON back to the event it was made from.
func (we wireEvent) event() (notification.Event, error) {
	ev := notification.Event{
		Type: we.Type, Severity: notification.Severity(we.Severity), Title: we.Title, Text: we.Text, Fields: we.Fields,
	}
	if x := we.Execution; x != nil {
		ev.Execution = &notification.ExecutionRef{ID: x.ID, JobID: x.JobID, JobName: x.JobName, URL: x.URL}
	}
	if we.Version != 1 || len(we.ID) != 32 {
		return ev, fmt.Errorf("version %d, id %q: want version 1 and a 32-hex-digit id", we.Version, we.ID)
	}
	if we.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, we.Time)
		if err != nil {
			return ev, fmt.Errorf("time %q: %v", we.Time, err)
		}
		ev.Time = t
	}
	return ev, nil
}

// next waits for the next delivery on /hook.
func (r *receiver) next(ctx context.Context) (delivery, error) {
	select {
	case d := <-r.got:
		return d, nil
	case <-ctx.Done():
		return delivery{}, fmt.Errorf("no delivery: %w", ctx.Err())
	}
}

// Receive makes the receiver a notificationtest.Receiver.
func (r *receiver) Receive(ctx context.Context) (notification.Event, error) {
	d, err := r.next(ctx)
	return d.event, err
}
