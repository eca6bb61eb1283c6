package main

import (
	"strconv"
	"strings"
)

// rdbVersionOf is the RDB (and DUMP payload) version a server version
// writes, or 0 when unknown. A server loads RDB files and accepts RESTORE
// payloads of its own version and older only.
func rdbVersionOf(flavour, version string) int {
	major, minor := majorMinor(version)
	if flavour == "valkey" {
		switch {
		case major >= 9:
			return 0 // Valkey 9 changed the numbering; not known here
		case major >= 7:
			return 11
		}
		return 0
	}
	switch {
	case major >= 8:
		return 12
	case major == 7 && minor >= 4:
		return 12
	case major == 7 && minor >= 2:
		return 11
	case major == 7:
		return 10
	case major >= 5:
		return 9
	case major == 4:
		return 8
	}
	return 0
}

func majorMinor(v string) (int, int) {
	parts := strings.SplitN(v, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}
