// Command notificationfixture is a notification plugin for the plugin host's
// tests: it accepts every event.
package main

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func main() {
	sdk.Serve(sdk.Plugin{
		Name:     "fixture",
		Version:  "0.9.0",
		Notifier: notifier{},
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "url", Label: "URL", Type: spec.String, Required: true},
		}},
	})
}

type notifier struct{}

func (notifier) Send(context.Context, spec.Config, notification.Event) error { return nil }
