package notificationtest

import (
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/sdk/notification"
)

// sentAt is the time of every event the kit sends: whole seconds in UTC, so
// that formats with second precision (mail Date headers) carry it exactly.
var sentAt = time.Date(2026, 11, 27, 2, 0, 7, 0, time.UTC)

// deliveryEvents are what a notifier meets in real life and breaks on: text
// outside ASCII, emoji beyond the BMP, characters that JSON, HTML and
// Markdown escape, several lines, empty optional parts.
func deliveryEvents() []struct {
	name string
	ev   notification.Event
} {
	return []struct {
		name string
		ev   notification.Event
	}{
		{"unicode", notification.Event{
			Type: "backup.success", Severity: notification.SeverityInfo,
			Title: "Sauvegarde réussie ✅ — 数据库 «prod» 🐘",
			Text:  "Durée 3 min 12 s.\nZiel: Ärzte-Cluster 🇩🇪; ψ≠φ; 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
			Fields: map[string]string{
				"database": "app_prod",
				"size":     "1.2 GiB",
				"größe":    "🗄️ 1 234 567 octets",
			},
			Execution: &notification.ExecutionRef{
				ID: "exec-42", JobID: "job-7", JobName: "Nightly — prod 🌙",
				URL: "https://dbkeep.example.com/executions/exec-42?tab=log#end",
			},
			Time: sentAt,
		}},
		{"escaping", notification.Event{
			Type: "backup.failure", Severity: notification.SeverityError,
			Title: `pg_dump failed: "quoted" \ back<slash> & <b>tags</b>`,
			Text:  "line 1\n\tindented line 2\n*not bold* _not italic_ `code` ${HOME} %s %!d",
			Fields: map[string]string{
				"error":     `exit status 1: FATAL: password authentication failed for user "backup"`,
				"job: name": "a=b; c",
			},
			Execution: &notification.ExecutionRef{ID: "exec-43"},
			Time:      sentAt,
		}},
		{"minimal", notification.Event{
			Type: "test", Severity: notification.SeverityWarning,
			Title: "Test notification", Text: "",
			Time: sentAt,
		}},
	}
}

// concurrentEvent is the i-th event of the concurrent-send check; its title
// tells the deliveries apart even in formats that drop fields.
func concurrentEvent(i int) notification.Event {
	return notification.Event{
		Type: "backup.partial", Severity: notification.SeverityWarning,
		Title:  fmt.Sprintf("concurrent delivery #%02d", i),
		Text:   fmt.Sprintf("one of %d sent at once", concurrentSends),
		Fields: map[string]string{"n": fmt.Sprint(i)},
		Time:   sentAt,
	}
}

// concurrentSends is how many Sends run at once: enough to surface shared
// state without a lock, few enough for a rate-limited test receiver.
const concurrentSends = 16
