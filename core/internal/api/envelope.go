package api

import (
	"github.com/gofiber/fiber/v3"
)

// Envelope is the shape of every /api/v1 answer (DESIGN §6).
type Envelope struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data,omitempty"`
	Error   *Error `json:"error,omitempty"`
}

// ok answers 200 with data.
func ok(c fiber.Ctx, data any) error {
	return c.Status(fiber.StatusOK).JSON(Envelope{Success: true, Data: data})
}

// created answers 201 with the new resource.
func created(c fiber.Ctx, data any) error {
	return c.Status(fiber.StatusCreated).JSON(Envelope{Success: true, Data: data})
}

// done answers 200 with a message and no data, for actions and deletions.
func done(c fiber.Ctx, message string) error {
	return c.Status(fiber.StatusOK).JSON(Envelope{Success: true, Message: message})
}

// fail answers with err mapped to a status and an error body.
func fail(c fiber.Ctx, err error) error {
	e := asError(err)
	return c.Status(e.Status).JSON(Envelope{Success: false, Error: e})
}
