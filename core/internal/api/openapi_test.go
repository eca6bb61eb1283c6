package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v3"
)

// Every route says what it does and, when its method carries a body, what
// the body is (noBody{} when it reads none): the document is only as
// good as the table's entries.
func TestEveryRouteDescribed(t *testing.T) {
	routes := New(Deps{}).routes()
	for _, r := range routes {
		d := r.doc
		if strings.TrimSpace(d.summary) == "" {
			t.Errorf("%s %s has no summary: add .describe(summary, request, response) to its entry", r.method, r.path)
		}
		switch r.method {
		case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch:
			if d.request == nil {
				t.Errorf("%s %s declares no request type: pass its body's type, or noBody{}", r.method, r.path)
			}
		default:
			if d.request != nil {
				t.Errorf("%s %s declares a request body, which %s does not carry", r.method, r.path, r.method)
			}
		}
	}
	if len(routes) < 40 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
}

// The generated document is well-formed OpenAPI 3.1 (kin-openapi's loader
// and validator, which check JSON Schema 2020-12 for 3.1 documents), holds
// one operation per route with its access, and refers to schemas that
// exist.
func TestOpenAPIDocumentValid(t *testing.T) {
	routes := New(Deps{}).routes()
	b, err := OpenAPI(routes)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	ops := 0
	for _, r := range routes {
		item := doc.Paths.Find(openAPIPath(r.path))
		if item == nil {
			t.Errorf("%s %s: no path %s in the document", r.method, r.path, openAPIPath(r.path))
			continue
		}
		op := item.GetOperation(r.method)
		if op == nil {
			t.Errorf("%s %s: no operation in the document", r.method, r.path)
			continue
		}
		ops++
		wantAccess, wantPerm := "permission", string(r.access.perm)
		switch {
		case r.access.public:
			wantAccess, wantPerm = "public", ""
		case r.access.authenticated:
			wantAccess, wantPerm = "authenticated", ""
		}
		if got := op.Extensions[ExtAccess]; got != wantAccess {
			t.Errorf("%s %s: %s = %v, want %s", r.method, r.path, ExtAccess, got, wantAccess)
		}
		if got, _ := op.Extensions[ExtPermission].(string); got != wantPerm {
			t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, ExtPermission, got, wantPerm)
		}
		if r.access.public != (op.Security != nil && len(*op.Security) == 0) {
			t.Errorf("%s %s: security %v does not match its access", r.method, r.path, op.Security)
		}
		if op.Summary != r.doc.summary {
			t.Errorf("%s %s: summary %q, want %q", r.method, r.path, op.Summary, r.doc.summary)
		}
	}
	total := 0
	for _, item := range doc.Paths.Map() {
		total += len(item.Operations())
	}
	if total != ops || ops != len(routes) {
		t.Errorf("%d operations in the document, %d routes in the table", total, len(routes))
	}
}

// Schemas come from the Go types: a create answer's data is the resource,
// lists are paged, bodies reject unknown fields like decode does, and the
// envelope wraps every answer but the document itself.
func TestOpenAPISchemasFromTypes(t *testing.T) {
	b, err := OpenAPI(New(Deps{}).routes())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]map[string]any }
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var create struct {
		RequestBody struct {
			Content map[string]struct{ Schema map[string]any }
		}
		Responses map[string]struct {
			Content map[string]struct {
				Schema struct {
					Required   []string
					Properties map[string]map[string]any
				}
			}
		}
	}
	if err := json.Unmarshal(doc.Paths["/jobs"]["post"], &create); err != nil {
		t.Fatal(err)
	}
	if ref := create.RequestBody.Content["application/json"].Schema["$ref"]; ref != "#/components/schemas/JobInput" {
		t.Errorf("POST /jobs request schema %v, want a $ref to JobInput", ref)
	}
	answer := create.Responses["201"].Content["application/json"].Schema
	if answer.Properties["data"]["$ref"] != "#/components/schemas/Job" || answer.Properties["success"] == nil {
		t.Errorf("POST /jobs 201 is not the envelope around Job: %+v", answer)
	}
	input := doc.Components.Schemas["JobInput"]
	if input["additionalProperties"] != false || input["properties"] == nil {
		t.Errorf("JobInput schema: %v", input)
	}
	schedule, _ := input["properties"].(map[string]any)["schedule"].(map[string]any)
	if b, _ := json.Marshal(schedule); string(b) != `{"anyOf":[{"type":"string"},{"type":"null"}]}` {
		t.Errorf("JobInput.schedule (a *string) = %s, want a string or null", b)
	}
	paged := doc.Components.Schemas["PagedUser"]
	props, _ := paged["properties"].(map[string]any)
	if props["items"] == nil || props["total"] == nil {
		t.Errorf("PagedUser schema: %v", paged)
	}
	for name := range doc.Components.Schemas {
		if strings.ContainsAny(name, "[]/ ") {
			t.Errorf("component name %q is not a valid OpenAPI name", name)
		}
	}
}
