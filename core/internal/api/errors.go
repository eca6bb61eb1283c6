package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Error is the error part of the envelope: a stable machine code, a message
// for people, and for invalid input every field that is wrong.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  []spec.FieldError `json:"fields,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Error codes clients can branch on.
const (
	CodeValidation      = "validation"
	CodeUnauthenticated = "unauthenticated"
	CodeCSRF            = "csrf"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeInUse           = "in_use"
	CodeRateLimited     = "rate_limited"
	CodePlugin          = "plugin_error"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
)

var errUnauthenticated = &Error{Status: fiber.StatusUnauthorized, Code: CodeUnauthenticated, Message: auth.ErrUnauthenticated.Error()}

// invalid is a validation error naming fields.
func invalid(fields ...spec.FieldError) *Error {
	msg := "the request is not valid"
	if len(fields) == 1 {
		msg = fields[0].String()
	}
	return &Error{Status: fiber.StatusBadRequest, Code: CodeValidation, Message: msg, Fields: fields}
}

// fieldError is one invalid field.
func fieldError(field, message string) *Error {
	return invalid(spec.FieldError{Field: field, Message: message})
}

// asError maps what services return onto answers. Unknown errors become a
// 500 whose message is the error text: services do not put secrets in
// errors, and a person debugging a backup tool needs the real reason.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if fields := spec.FieldErrors(err); len(fields) > 0 {
		return invalid(fields...)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return &Error{Status: fe.Code, Code: codeForStatus(fe.Code), Message: fe.Message}
	}
	status, code := statusOf(err)
	return &Error{Status: status, Code: code, Message: err.Error()}
}

func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return fiber.StatusUnauthorized, CodeUnauthenticated
	case errors.Is(err, auth.ErrCSRF):
		return fiber.StatusForbidden, CodeCSRF
	case errors.Is(err, auth.ErrRateLimited):
		return fiber.StatusTooManyRequests, CodeRateLimited
	case errors.Is(err, auth.ErrForbidden):
		return fiber.StatusForbidden, CodeForbidden
	case errors.Is(err, auth.ErrSetupDone):
		return fiber.StatusConflict, CodeConflict
	case errors.Is(err, store.ErrNotFound):
		return fiber.StatusNotFound, CodeNotFound
	case errors.Is(err, store.ErrConflict):
		return fiber.StatusConflict, CodeConflict
	case errors.Is(err, store.ErrInUse):
		return fiber.StatusConflict, CodeInUse
	case errors.Is(err, store.ErrInvalid):
		return fiber.StatusBadRequest, CodeValidation
	// A plugin answered, and what it said is about the remote system (a
	// database refused the password, a bucket is missing): the request was
	// fine, the far side was not.
	case errors.Is(err, spec.ErrUnauthenticated), errors.Is(err, spec.ErrPermission),
		errors.Is(err, spec.ErrNotFound), errors.Is(err, spec.ErrNoSpace),
		errors.Is(err, spec.ErrInvalidArgument), errors.Is(err, spec.ErrAlreadyExists):
		return fiber.StatusUnprocessableEntity, CodePlugin
	case errors.Is(err, spec.ErrUnsupported):
		return fiber.StatusNotImplemented, CodePlugin
	case errors.Is(err, spec.ErrUnavailable):
		return fiber.StatusBadGateway, CodeUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return fiber.StatusGatewayTimeout, CodeUnavailable
	}
	return fiber.StatusInternalServerError, CodeInternal
}

func codeForStatus(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return CodeNotFound
	case fiber.StatusMethodNotAllowed, fiber.StatusBadRequest, fiber.StatusRequestEntityTooLarge, fiber.StatusUnsupportedMediaType:
		return CodeValidation
	case fiber.StatusUnauthorized:
		return CodeUnauthenticated
	case fiber.StatusForbidden:
		return CodeForbidden
	}
	if status >= 500 {
		return CodeInternal
	}
	return http.StatusText(status)
}

// ErrorHandler answers errors no handler turned into an envelope (an
// unknown /api/v1 path, a panic recovered by middleware) in the envelope
// too, so clients parse one shape.
func ErrorHandler(c fiber.Ctx, err error) error {
	return fail(c, err)
}
