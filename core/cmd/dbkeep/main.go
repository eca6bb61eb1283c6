// Command dbkeep is the dbkeep core: the server (`dbkeep serve`) and the
// command line that manages it. It only wires: see package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dbkeep/dbkeep/core/internal/cli"
)

func main() {
	// A signal cancels the context: serve drains HTTP, then stops plugins.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
