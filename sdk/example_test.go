package sdk_test

import (
	"context"
	"fmt"
	"strings"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// hello is the whole implementation of a notification plugin: it "delivers"
// an event by printing it.
type hello struct{}

func (hello) Send(_ context.Context, cfg spec.Config, ev notification.Event) error {
	fmt.Printf("%s! %s: %s\n", cfg.String("greeting"), ev.Title, ev.Text)
	return nil
}

// helloPlugin is what a plugin's main hands to sdk.Serve:
//
//	func main() { sdk.Serve(helloPlugin()) }
func helloPlugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "hello",
		DisplayName: "Hello",
		Summary:     "Prints events; the smallest plugin there is.",
		Version:     "1.0.0",
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "greeting", Label: "Greeting", Type: spec.String, Default: "Hello"},
		}},
		Notifier: hello{},
	}
}

// Example is a plugin's hello world: the plugin above, described as
// `dbkeep-notification-hello describe` would, then called through the real
// plugin boundary (gRPC over go-plugin) exactly as the dbkeep core calls it.
func Example() {
	p := helloPlugin()
	d, err := p.Describe()
	if err != nil {
		panic(err)
	}
	fmt.Println(d.ID, d.Kind, d.Version, "protocol", d.ProtocolMajor)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	reattach, _, err := sdk.ServeInProcess(ctx, p)
	if err != nil {
		panic(err)
	}
	client := goplugin.NewClient(host.ClientConfig(nil, reattach, nil))
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		panic(err)
	}
	conn, err := host.Dispense(rpc)
	if err != nil {
		panic(err)
	}
	err = conn.Notifier().Send(ctx, spec.Config{}, notification.Event{Type: "test", Title: "dbkeep", Text: "your plugin works"})
	fmt.Println("send:", err)

	err = conn.ValidateConfig(ctx, spec.Config{"greting": "typo"})
	fmt.Println(strings.TrimSpace(err.Error()))
	// Output:
	// notification-hello notification 1.0.0 protocol 1
	// Hello! dbkeep: your plugin works
	// send: <nil>
	// invalid configuration: greting: is not a field of this plugin
}
