package pluginhost

import (
	"bytes"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// lineLogger turns what a plugin writes to its os.Stdout or os.Stderr — which
// go-plugin's server redirects into its stdio stream once serving — into log
// lines, so stray output (a library printing a warning) is not lost.
type lineLogger struct {
	logger hclog.Logger
	stream string
	mu     sync.Mutex
	buf    []byte
}

// maxLine bounds a line kept while waiting for its newline.
const maxLine = 64 << 10

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.emit(w.buf)
		w.buf = nil
	}
	return len(p), nil
}

func (w *lineLogger) emit(line []byte) {
	if line = bytes.TrimRight(line, "\r"); len(line) > 0 {
		w.logger.Info(string(line), "stream", w.stream)
	}
}
