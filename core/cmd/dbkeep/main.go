// Command dbkeep is the dbkeep core: the server (`dbkeep serve`) and the
// command line that manages it. It only wires: see package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Jobs run in IANA time zones: carry the zone database so that a host
	// without /usr/share/zoneinfo (a scratch container) still knows them.
	_ "time/tzdata"

	"github.com/dbkeep/dbkeep/core/internal/cli"
)

func main() {
	// A signal cancels the context: serve drains HTTP, then stops plugins.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
