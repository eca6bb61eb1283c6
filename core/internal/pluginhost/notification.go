package pluginhost

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// notifierClient reaches a notification plugin through the Host's supervision.
type notifierClient struct {
	h  *Host
	id string
}

var _ notification.Notifier = notifierClient{}

func (c notifierClient) Send(ctx context.Context, cfg spec.Config, ev notification.Event) error {
	return c.h.do(ctx, c.id, func(ctx context.Context, i *instance) error {
		return i.conn.Notifier().Send(ctx, cfg, ev)
	})
}
