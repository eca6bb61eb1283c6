package api

import (
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Paged is the data of every list answer.
type Paged[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// page reads ?limit= and ?offset= (both optional).
func page(c fiber.Ctx) (store.Page, error) {
	p := store.Page{Limit: store.DefaultPageSize}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return p, fieldError("limit", "must be an integer from 1 to "+strconv.Itoa(store.MaxPageSize))
		}
		p.Limit = n
	}
	if s := c.Query("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, fieldError("offset", "must be an integer of 0 or more")
		}
		p.Offset = n
	}
	return p, nil
}

// paged builds a list answer; items is never null in JSON.
func paged[T any](items []T, total int, p store.Page) Paged[T] {
	if items == nil {
		items = []T{}
	}
	return Paged[T]{Items: items, Total: total, Limit: p.Limit, Offset: p.Offset}
}

// idParam reads the :id path parameter.
func idParam(c fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fieldError("id", "must be a positive integer")
	}
	return id, nil
}
