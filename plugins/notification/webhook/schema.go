package main

import (
	"strconv"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Field names of the configuration.
const (
	fieldURL     = "url"
	fieldSecret  = "secret"
	fieldHeaders = "headers"
	fieldTimeout = "timeout"
	fieldCACert  = "ca-cert"
)

// Bounds of the timeout field, in seconds: a receiver slower than five minutes
// is broken, and holding a notification longer only delays the run's end.
const (
	defaultTimeout = 10
	maxTimeout     = 300
)

var schema = spec.Schema{Fields: []spec.Field{
	{
		Name: fieldURL, Label: "URL", Type: spec.String, Required: true, Group: "Endpoint",
		Help: "http:// or https:// address that receives a POST with the event as JSON. " +
			"Redirects are not followed: give the final address. Put credentials in Headers, not in the URL.",
	},
	{
		Name: fieldSecret, Label: "Signing secret", Type: spec.Secret, Group: "Endpoint",
		Help: "When set, each request carries X-Dbkeep-Timestamp (Unix seconds) and " +
			"X-Dbkeep-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\" under this secret>. " +
			"Receivers recompute it over the raw body, compare in constant time, and refuse old timestamps " +
			"(more than 5 minutes) and repeated X-Dbkeep-Delivery ids to stop replays.",
	},
	{
		Name: fieldHeaders, Label: "Extra headers", Type: spec.Multiline, Group: "Endpoint", Sensitive: true,
		Help: "One \"Name: value\" per line, such as \"Authorization: Bearer …\"; empty lines and lines starting " +
			"with # are skipped. Kept sealed like a secret, since they usually hold tokens. Content-Type, " +
			"User-Agent, Host, hop-by-hop headers and X-Dbkeep-* are set by the plugin and cannot be overridden.",
	},
	{
		Name: fieldTimeout, Label: "Timeout (seconds)", Type: spec.Int, Default: strconv.Itoa(defaultTimeout), Group: "Delivery",
		Help: "How long to wait for the receiver's answer, from 1 to " + strconv.Itoa(maxTimeout) + ".",
	},
	{
		Name: fieldCACert, Label: "CA certificate", Type: spec.File, Group: "TLS",
		Help: "PEM certificate(s) of the CA that signed the receiver's certificate, for a private CA or a " +
			"self-signed receiver (give its own certificate). When set, only this CA is trusted for this " +
			"webhook. There is no option to skip verification.",
	},
}}
