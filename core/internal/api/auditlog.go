package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// listAudit answers GET /audit: newest first, filtered by ?userId=,
// ?action= (exact, or a resource prefix ending in "." such as "users."),
// ?targetType=, ?targetId=, ?since= and ?until= (RFC 3339).
func (a *API) listAudit(c fiber.Ctx) error {
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	f := store.AuditFilter{Action: c.Query("action"), TargetType: c.Query("targetType"), TargetID: c.Query("targetId")}
	if c.Query("userId") != "" {
		if f.UserID, err = int64Query(c, "userId"); err != nil {
			return fail(c, err)
		}
	}
	if f.Since, err = timeQuery(c, "since"); err != nil {
		return fail(c, err)
	}
	if f.Until, err = timeQuery(c, "until"); err != nil {
		return fail(c, err)
	}
	entries, total, err := a.d.Audit.List(c.Context(), f, pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(entries, total, pg))
}

func int64Query(c fiber.Ctx, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Query(name), 10, 64)
	if err != nil || n < 1 {
		return 0, fieldError(name, "must be a positive integer")
	}
	return n, nil
}

// timeQuery reads an optional RFC 3339 time; absent is the zero time.
func timeQuery(c fiber.Ctx, name string) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fieldError(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	return t, nil
}
