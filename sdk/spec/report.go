package spec

import "time"

// Level is the severity of a log line.
type Level string

const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// LogEntry is one line for an execution's live log.
type LogEntry struct {
	Level   Level
	Message string
	Time    time.Time
}

// Progress reports work done. Total is 0 when unknown.
type Progress struct {
	DoneBytes  int64
	TotalBytes int64
	Stage      string
}

// Reporter receives log lines and progress from a long call (a dump, a
// restore). Its methods are safe to call from several goroutines and never
// block for long; a plugin should send tool stderr through Log.
type Reporter interface {
	Log(level Level, message string)
	Progress(p Progress)
}

// Discard is a Reporter that drops everything.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Log(Level, string) {}
func (discard) Progress(Progress) {}
