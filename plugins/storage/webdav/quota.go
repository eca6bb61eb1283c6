package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/dbkeep/dbkeep/sdk/storage"
)

// quotaRequest asks for RFC 4331's quota properties of the folder.
const quotaRequest = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`

// quotaAnswer is the part of a PROPFIND multistatus answer that quotas use.
type quotaAnswer struct {
	Propstats []struct {
		Status    string `xml:"DAV: status"`
		Available string `xml:"DAV: prop>quota-available-bytes"`
		Used      string `xml:"DAV: prop>quota-used-bytes"`
	} `xml:"DAV: response>propstat"`
}

// quota describes the folder's quota for Test, when the server tells.
func (sess *session) quota(ctx context.Context) (string, bool) {
	req, err := http.NewRequestWithContext(ctx, "PROPFIND", sess.s.root, bytes.NewReader([]byte(quotaRequest)))
	if err != nil {
		return "", false
	}
	req.Header.Set("Depth", "0")
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	if sess.s.user != "" {
		req.SetBasicAuth(sess.s.user, sess.s.password)
	}
	resp, err := sess.tr.RoundTrip(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return "", false
	}
	return parseQuota(io.LimitReader(resp.Body, 1<<20))
}

// parseQuota reads a multistatus answer; servers without quotas leave the
// properties out, answer them 404, or give negative numbers (unlimited).
func parseQuota(r io.Reader) (string, bool) {
	var a quotaAnswer
	if err := xml.NewDecoder(r).Decode(&a); err != nil {
		return "", false
	}
	for _, ps := range a.Propstats {
		avail, err1 := strconv.ParseInt(ps.Available, 10, 64)
		used, err2 := strconv.ParseInt(ps.Used, 10, 64)
		if err1 == nil && avail >= 0 {
			if err2 == nil && used >= 0 {
				return fmt.Sprintf("%s free of a %s quota", storage.FormatSize(avail), storage.FormatSize(avail+used)), true
			}
			return storage.FormatSize(avail) + " free", true
		}
	}
	return "", false
}
