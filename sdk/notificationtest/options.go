package notificationtest

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Options describe the plugin under test and the receivers its test set up.
type Options struct {
	// Plugin is what the plugin's main hands to sdk.Serve. Its Notifier must be set.
	Plugin sdk.Plugin

	// Config makes the plugin deliver to Receiver.
	Config spec.Config
	// Receiver reads back what Config's deliveries brought.
	Receiver Receiver
	// Ignore names fields of notification.Event (Go names: "Time", "Severity")
	// that the plugin's format cannot carry, so the receiver cannot map them
	// back. Everything else must arrive exactly as sent.
	Ignore []string

	// Rejecting makes the plugin deliver to a receiver that answers every
	// delivery with an error (an HTTP 5xx, an SMTP 550).
	Rejecting spec.Config
	// RejectedWith is a piece of what the rejecting receiver answers (a status
	// text, a message in the body). Send's error must contain it, so that the
	// person reading the error learns what the receiver said.
	RejectedWith string

	// Slow makes the plugin deliver to a receiver that accepts the connection
	// and never answers. Leave the plugin's own timeouts long in it: the kit
	// checks that cancellation and deadlines of the caller's context are obeyed.
	Slow spec.Config

	// InvalidConfigs are configurations the plugin must refuse, each with the
	// fields its errors must name. There must be at least one.
	InvalidConfigs []InvalidConfig
}

// InvalidConfig is a configuration and the fields whose errors it must produce.
type InvalidConfig struct {
	// Name labels the subtest; empty means the field names.
	Name   string
	Config spec.Config
	// Fields are exactly the fields ValidateConfig must report, in any order.
	Fields []string
}

// Receiver is the far end of Options.Config, set up by the plugin's test.
type Receiver interface {
	// Receive waits for the next delivery and returns it mapped back from the
	// plugin's format to an Event. Deliveries are returned in arrival order,
	// each once. It returns an error when ctx ends before one arrives.
	Receive(ctx context.Context) (notification.Event, error)
}

// ReceiverFunc makes a function a Receiver.
type ReceiverFunc func(ctx context.Context) (notification.Event, error)

// Receive calls f.
func (f ReceiverFunc) Receive(ctx context.Context) (notification.Event, error) { return f(ctx) }
