package notificationtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/notificationtest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// inboxNotifier is the smallest honest notifier: its receiver is a channel.
// Config "target" picks the receiver: "inbox" accepts, "refuse" answers an
// error, "void" never answers. A flaw makes it break one rule of the contract,
// so the tests can show the kit notices.
type inboxNotifier struct {
	inbox chan notification.Event
	flaw  string
}

const refusal = "receiver answered 507: mailbox full"

func (n *inboxNotifier) Send(ctx context.Context, cfg spec.Config, ev notification.Event) error {
	switch cfg.String("target") {
	case "inbox":
		copies := 1
		switch n.flaw {
		case "drops-fields":
			ev.Fields = nil
		case "mangles-emoji":
			ev.Title = strings.ToValidUTF8(string([]byte(ev.Title)[:len(ev.Title)-1]), "?")
		case "duplicates":
			copies = 2
		}
		for range copies {
			select {
			case n.inbox <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	case "refuse":
		if n.flaw == "accepts-refusal" {
			return nil
		}
		if n.flaw == "hides-refusal" {
			return errors.New("delivery failed")
		}
		return errors.New(refusal)
	case "void":
		switch n.flaw {
		case "ignores-context":
			time.Sleep(6 * time.Second)
			return errors.New("gave up on my own")
		case "nil-on-cancel":
			<-ctx.Done()
			return nil
		}
		<-ctx.Done()
		return fmt.Errorf("waiting for the receiver: %w", ctx.Err())
	}
	return fmt.Errorf("unknown target %q", cfg.String("target"))
}

// ValidateConfig makes the notifier a spec.ConfigValidator, so the kit's
// wrapping must keep that interface visible.
func (n *inboxNotifier) ValidateConfig(_ context.Context, cfg spec.Config) error {
	var errs spec.ValidationError
	if strings.ContainsAny(cfg.String("prefix"), "\r\n") {
		errs.Add("prefix", "must be one line")
	}
	return errs.Err()
}

func options(flaw string) notificationtest.Options {
	inbox := make(chan notification.Event, 64)
	return notificationtest.Options{
		Plugin: sdk.Plugin{
			Name: "inbox", DisplayName: "Inbox", Version: "0.0.1",
			Schema: spec.Schema{Fields: []spec.Field{
				{Name: "target", Label: "Target", Type: spec.Select, Required: true, Options: []spec.Option{
					{Value: "inbox", Label: "Inbox"}, {Value: "refuse", Label: "Refuse"}, {Value: "void", Label: "Void"},
				}},
				{Name: "prefix", Label: "Prefix", Type: spec.String},
			}},
			Notifier: &inboxNotifier{inbox: inbox, flaw: flaw},
		},
		Config: spec.Config{"target": "inbox"},
		Receiver: notificationtest.ReceiverFunc(func(ctx context.Context) (notification.Event, error) {
			select {
			case ev := <-inbox:
				return ev, nil
			case <-ctx.Done():
				return notification.Event{}, ctx.Err()
			}
		}),
		Rejecting:    spec.Config{"target": "refuse"},
		RejectedWith: "mailbox full",
		Slow:         spec.Config{"target": "void"},
		InvalidConfigs: []notificationtest.InvalidConfig{
			{Name: "no target", Config: spec.Config{}, Fields: []string{"target"}},
			{Config: spec.Config{"target": "inbox", "prefix": "a\nb"}, Fields: []string{"prefix"}},
			{Config: spec.Config{"target": "elsewhere", "colour": "red"}, Fields: []string{"target", "colour"}},
		},
	}
}

func TestRun(t *testing.T) {
	notificationtest.Run(t, options(""))
}

// flawEnv names the flaw TestFlawedNotifier runs the kit against; the test
// binary re-runs itself with it set, since a failing kit fails its test.
const flawEnv = "NOTIFICATIONTEST_FLAW"

// TestFlawedNotifier does its work only in the child processes started by
// TestRunCatchesFlaws.
func TestFlawedNotifier(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	if flaw == "" {
		return
	}
	opts := options(flaw)
	if flaw == "bad-ignore" {
		opts.Ignore = []string{"Colour"}
	}
	notificationtest.Run(t, opts)
}

// TestRunCatchesFlaws shows that each check can fail: the kit run against a
// notifier that breaks one rule must fail, saying which.
func TestRunCatchesFlaws(t *testing.T) {
	for flaw, want := range map[string]string{
		"drops-fields":    `Delivers/unicode.*\n(.*\n)*.*delivered event \(-sent \+arrived\)`,
		"mangles-emoji":   `delivered event \(-sent \+arrived\)`,
		"duplicates":      `extra delivery arrived|arrived 2 times|-sent \+arrived`,
		"accepts-refusal": `Send to a receiver that refuses returned nil`,
		"hides-refusal":   `does not say what it answered \("mailbox full"\)`,
		"ignores-context": `Cancelled.*\n(.*\n)*.*kept running more than 3s after its context was cancelled`,
		"nil-on-cancel":   `returned nil after its deadline passed`,
		"bad-ignore":      `"Colour" is not a field of notification.Event`,
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestFlawedNotifier$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), flawEnv+"="+flaw)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the kit passed a notifier that %s (err %v):\n%s", flaw, err, out)
			}
			if !regexp.MustCompile(want).Match(out) {
				t.Errorf("the kit failed, but its output does not match %q:\n%s", want, out)
			}
		})
	}
}
