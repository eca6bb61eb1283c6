// Package buildinfo says which dbkeep this is. The version is stamped at link
// time:
//
//	go build -ldflags "-X github.com/dbkeep/dbkeep/core/internal/buildinfo.Version=1.0.0" ./core/cmd/dbkeep
package buildinfo

import (
	"fmt"
	"runtime"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Version is the core's version; "dev" for an unstamped build.
var Version = "dev"

// Info is everything `dbkeep version` reports.
type Info struct {
	Version    string `json:"version"`
	SDKVersion string `json:"sdkVersion"`
	// Protocol is the plugin protocol "MAJOR.MINOR" the core speaks.
	Protocol  string `json:"protocol"`
	GoVersion string `json:"goVersion"`
}

// Get returns this build's Info.
func Get() Info {
	return Info{
		Version:    Version,
		SDKVersion: spec.SDKVersion,
		Protocol:   fmt.Sprintf("%d.%d", spec.ProtocolMajor, spec.ProtocolMinor),
		GoVersion:  runtime.Version(),
	}
}
