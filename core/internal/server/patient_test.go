package server

import (
	"time"

	"github.com/gofiber/fiber/v3"
)

// patient lets an in-process exchange (App().Test) take longer than Fiber's
// default second: the first request may build the OpenAPI document, a
// sign-in hashes a password, and the suite shares the machine with others.
var patient = fiber.TestConfig{Timeout: 30 * time.Second}
