package main

import "strings"

// shellQuote makes s one word for a POSIX shell, whatever it holds: SSH runs
// a remote command as a single string through the user's login shell, so
// every path and argument the plugin sends is quoted with this. Inside single
// quotes a POSIX shell gives no character a meaning except the single quote
// itself, so each one becomes the four characters below (close the quotes,
// an escaped quote, reopen them). NUL cannot be passed at all; callers
// refuse it.
//
//	'\''
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sqlQuote makes s a SQL string literal: single quotes, each ' doubled.
func sqlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
