package main

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/dbkeep/dbkeep/sdk/notification"
)

// payloadVersion is the "version" of the JSON body. Within a version fields
// are only added; a rename or removal makes a new version.
const payloadVersion = 1

// payload is the JSON body of a delivery. It is this plugin's own type, not
// notification.Event, so that a change in the SDK cannot silently change
// what receivers parse.
type payload struct {
	Version int `json:"version"`
	// ID is unique per delivery and repeated in X-Dbkeep-Delivery, so a
	// receiver can drop a replay.
	ID       string            `json:"id"`
	Type     string            `json:"type"`
	Severity string            `json:"severity"`
	Title    string            `json:"title"`
	Text     string            `json:"text"`
	Fields   map[string]string `json:"fields"`
	// Execution is null for events about no run (a test notification).
	Execution *execution `json:"execution"`
	// Time is RFC 3339 in UTC, omitted when the event has none.
	Time string `json:"time,omitempty"`
}

type execution struct {
	ID      string `json:"id"`
	JobID   string `json:"jobId,omitempty"`
	JobName string `json:"jobName,omitempty"`
	URL     string `json:"url,omitempty"`
}

// encodePayload returns the body for ev. Fields is always an object, never
// null, so receivers need no special case.
func encodePayload(id string, ev notification.Event) ([]byte, error) {
	p := payload{
		Version: payloadVersion, ID: id, Type: ev.Type, Severity: string(ev.Severity),
		Title: ev.Title, Text: ev.Text, Fields: ev.Fields,
	}
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	if x := ev.Execution; x != nil {
		p.Execution = &execution{ID: x.ID, JobID: x.JobID, JobName: x.JobName, URL: x.URL}
	}
	if !ev.Time.IsZero() {
		p.Time = ev.Time.UTC().Format(time.RFC3339Nano)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Titles hold "<" and "&" often enough; \u003c helps no JSON receiver.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
