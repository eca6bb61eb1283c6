package api

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// AuditLog is where the API records who changed or ran what.
type AuditLog interface {
	Record(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error)
	// List returns entries matching f, newest first, and how many match.
	List(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditEntry, int, error)
}

// audit records an action by the request's principal. A failure to record
// is logged, not returned: the change itself has already happened and
// answering "failed" would make the client retry a change that succeeded.
// details must not hold secrets.
func (a *API) audit(c fiber.Ctx, action, targetType string, targetID int64, details map[string]any) {
	if a.d.Audit == nil {
		a.d.Logger.Error("audit log not configured; entry dropped", "action", action)
		return
	}
	e := store.AuditEntry{Actor: "anonymous", IP: c.IP(), Action: action, TargetType: targetType, Details: details}
	if targetID != 0 {
		e.TargetID = strconv.FormatInt(targetID, 10)
	}
	if p := principal(c); p != nil {
		e.Actor = p.Actor()
		e.UserID = &p.UserID
		if p.APIKeyID != 0 {
			e.APIKeyID = &p.APIKeyID
		}
	}
	if _, err := a.d.Audit.Record(c.Context(), e); err != nil {
		a.d.Logger.Error("audit entry not recorded", "action", action, "error", err)
	}
}
