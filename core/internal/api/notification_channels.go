package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

var notificationChannels = connectionKind{
	path: "/notification-channels", resource: "notification-channels", target: "notification-channel",
	read: auth.NotificationsRead, write: auth.NotificationsWrite,
	service: (*configuration.Service).NotificationChannels,
}

// notificationChannelRoutes: notification connections and their test.
func (a *API) notificationChannelRoutes() []route {
	return append(a.connectionCRUD(notificationChannels),
		post("/notification-channels/:id/test", Requires(auth.NotificationsWrite), a.testNotificationChannel).describe("Send a test notification", noBody{}, nil),
	)
}

// testNotificationChannel sends a test notification through the channel.
// It is audited: it sends a message to the outside world.
func (a *API) testNotificationChannel(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.connectionService(notificationChannels)
	if err != nil {
		return fail(c, err)
	}
	if err := svc.SendTest(c.Context(), id); err != nil {
		return fail(c, err)
	}
	a.audit(c, "notification-channels.test", "notification-channel", id, nil)
	return done(c, "test notification sent")
}
