// Package netcut is a test aid for plugin authors whose plugin talks to a
// server over TCP: a relay whose connections a test cuts at once, as a
// failing network would, and a reader that calls back once a given number of
// bytes has passed, to cut in the middle of a transfer. It listens on
// 127.0.0.1 only; use it in tests, never in a plugin.
package netcut
