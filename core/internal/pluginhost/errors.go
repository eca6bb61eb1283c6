package pluginhost

import (
	"errors"
	"fmt"
)

// CrashError: the plugin's process died while a call was in flight. The call
// failed at once; the plugin restarts on its next use.
type CrashError struct {
	File string // dbkeep-<id>
	PID  int
	// Err is what the call saw: the broken transport, the cancelled context.
	Err error
}

func (e *CrashError) Error() string {
	return fmt.Sprintf("plugin %s crashed: process %d exited during the call: %v", e.File, e.PID, e.Err)
}

func (e *CrashError) Unwrap() error { return e.Err }

// ErrClosed: the Host was closed; no plugin starts any more.
var ErrClosed = errors.New("plugin host closed")

// ErrDisabled is matched by the error of using a plugin plugins.hcl switches off.
var ErrDisabled = errors.New("plugin disabled in the plugins configuration")
