package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v3"
)

func TestDecodeNamesTheField(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	cases := []struct{ in, field, msg string }{
		{`{"name":"a","cuont":1}`, "cuont", "is not a known field"},
		{`{"name":"a","count":"x"}`, "count", "must be an integer, not string"},
		{`{"name":1}`, "name", "must be a string, not number"},
		{``, "", "the request body is empty"},
		{`{"name":"a"} {}`, "", "more than one JSON value"},
		{`{"name":`, "", "cut short"},
		{`{"name" "a"}`, "", "not valid JSON"},
	}
	for _, tc := range cases {
		app := fiber.New()
		var got error
		app.Post("/", func(c fiber.Ctx) error { var b body; got = decode(c, &b); return nil })
		if _, err := app.Test(httptest.NewRequest("POST", "/", strings.NewReader(tc.in))); err != nil {
			t.Fatal(err)
		}
		var e *Error
		if !errors.As(got, &e) || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || !strings.Contains(e.Fields[0].Message, tc.msg) {
			t.Errorf("decode(%q) = %#v, want field %q with %q", tc.in, got, tc.field, tc.msg)
		}
	}
}
