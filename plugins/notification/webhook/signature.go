package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Headers of a delivery that the plugin sets and users cannot override.
const (
	headerEvent     = "X-Dbkeep-Event"
	headerDelivery  = "X-Dbkeep-Delivery"
	headerTimestamp = "X-Dbkeep-Timestamp"
	headerSignature = "X-Dbkeep-Signature"
)

// sign returns the X-Dbkeep-Timestamp and X-Dbkeep-Signature values of body
// sent at now, under secret.
//
// The scheme, as Stripe and Slack sign theirs: the MAC covers the timestamp,
// a dot and the exact body bytes, so a captured request cannot be replayed
// later with a fresh timestamp. A receiver:
//
//  1. reads the raw body before parsing it;
//  2. computes hex(HMAC-SHA256(secret, timestamp + "." + body));
//  3. compares it with the signature after "sha256=" in constant time
//     (hmac.Equal);
//  4. refuses a timestamp more than 5 minutes from its clock, and a
//     delivery id (X-Dbkeep-Delivery, also "id" in the body) seen before.
//
// The "sha256=" prefix leaves room for another algorithm without a new header.
func sign(secret, body []byte, now time.Time) (timestamp, signature string) {
	timestamp = strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return timestamp, "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
