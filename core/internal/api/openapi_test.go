package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/executions"
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

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	b, err := OpenAPI(New(Deps{}).routes())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func operation(t *testing.T, doc *openapi3.T, method, path string) *openapi3.Operation {
	t.Helper()
	item := doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s is not in the document", method, path)
	}
	return item.GetOperation(method)
}

// Answers that are not a 200 envelope say so: run and cancel answer 202,
// run's 409 carries the queued execution, the recovery kit is a zip
// attachment and the event stream is text/event-stream.
func TestOpenAPIAnswerKinds(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, path := range []string{"/jobs/{id}/run", "/executions/{id}/cancel"} {
		op := operation(t, doc, "POST", path)
		if op.Responses.Status(200) != nil || op.Responses.Status(202) == nil {
			t.Errorf("POST %s documents %v, want 202 and no 200", path, op.Responses.Map())
			continue
		}
		schema := op.Responses.Status(202).Value.Content.Get("application/json").Schema.Value
		if ref := schema.Properties["data"].Ref; ref != "#/components/schemas/Execution" {
			t.Errorf("POST %s 202 data is %q, want the Execution", path, ref)
		}
	}

	conflict := operation(t, doc, "POST", "/jobs/{id}/run").Responses.Status(409)
	if conflict == nil {
		t.Fatal("POST /jobs/{id}/run documents no 409")
	}
	if !strings.Contains(*conflict.Value.Description, CodeAlreadyQueued) {
		t.Errorf("409 description %q does not name %s", *conflict.Value.Description, CodeAlreadyQueued)
	}
	body := conflict.Value.Content.Get("application/json").Schema.Value
	if body.Properties["data"].Ref != "#/components/schemas/Execution" || body.Properties["error"] == nil {
		t.Errorf("409 body: data %q, error %v", body.Properties["data"].Ref, body.Properties["error"])
	}
	// A real already_queued answer and a plain conflict (no data) both fit.
	for _, answer := range []string{
		`{"success":false,"data":{"id":3,"type":"backup","status":"pending","trigger":"manual","jobId":1,"jobName":"a","backupSetId":null,"userId":1,"apiKeyId":null,"queuedAt":"2026-01-01T00:00:00Z","startedAt":null,"finishedAt":null,"durationMs":null,"cancelRequested":false,"bytesDone":0,"bytesTotal":0,"stage":"","error":""},"error":{"code":"already_queued","message":"job \"a\" is already queued"}}`,
		`{"success":false,"error":{"code":"conflict","message":"x"}}`,
	} {
		var v any
		json.Unmarshal([]byte(answer), &v)
		if err := body.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("409 answer %s does not fit: %v", answer, err)
		}
	}

	kit := operation(t, doc, "GET", "/encryption-profiles/{id}/recovery-kit").Responses.Status(200)
	if kit == nil || len(kit.Value.Content) != 1 || kit.Value.Content.Get("application/zip") == nil {
		t.Fatalf("recovery kit answer: %+v, want application/zip only", kit)
	}
	if h := kit.Value.Headers[fiber.HeaderContentDisposition]; h == nil || !h.Value.Required {
		t.Errorf("recovery kit answer has no required Content-Disposition header")
	}
	if s := kit.Value.Content.Get("application/zip").Schema.Value; !s.Type.Is("string") {
		t.Errorf("recovery kit schema %v, want a string (binary)", s.Type)
	}

	events := operation(t, doc, "GET", "/executions/{id}/events").Responses.Status(200)
	if events == nil || len(events.Value.Content) != 1 || events.Value.Content.Get(MIMEEventStream) == nil {
		t.Fatalf("event stream answer: %+v, want %s only", events, MIMEEventStream)
	}
	if s := events.Value.Content.Get(MIMEEventStream).Schema.Value; !s.Type.Is("string") {
		t.Errorf("event stream schema %v, want a string", s.Type)
	}
	for _, want := range []string{"`log`", "LogLine", "`progress`", "Progress", "`status`", "Execution", "`error`"} {
		if !strings.Contains(*events.Value.Description, want) {
			t.Errorf("event stream description does not mention %s:\n%s", want, *events.Value.Description)
		}
	}
}

// The generator refuses entries that cannot be described truthfully.
func TestOpenAPIRejectsContradictoryMarkers(t *testing.T) {
	h := func(fiber.Ctx) error { return nil }
	for name, r := range map[string]route{
		"201 and 202":            post("/x", Public(), h).describe("x", noBody{}, nil).creates().accepted(),
		"file with envelope":     get("/x", Public(), h).describe("x", nil, Backup{}).binary("application/zip"),
		"stream with envelope":   get("/x", Public(), h).describe("x", nil, Backup{}).eventStream(event("a", "a", Backup{})),
		"file and stream":        get("/x", Public(), h).describe("x", nil, nil).binary("application/zip").eventStream(event("a", "a", Backup{})),
		"event name with colon":  get("/x", Public(), h).describe("x", nil, nil).eventStream(event("a:b", "a", Backup{})),
		"event listed twice":     get("/x", Public(), h).describe("x", nil, nil).eventStream(event("a", "a", Backup{}), event("a", "b", Backup{})),
		"error data on a 2xx":    get("/x", Public(), h).describe("x", nil, nil).errorData(200, "c", "d", Backup{}),
		"error data given twice": get("/x", Public(), h).describe("x", nil, nil).errorData(409, "c", "d", Backup{}).errorData(409, "e", "f", Backup{}),
	} {
		if _, err := OpenAPI([]route{r}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Every event a real execution's stream sends is documented, and its data
// fits the schema the document gives that event.
func TestEventStreamMatchesDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	media := operation(t, doc, "GET", "/executions/{id}/events").Responses.Status(200).Value.Content.Get(MIMEEventStream)
	raw, err := json.Marshal(media.Extensions[ExtEvents])
	if err != nil {
		t.Fatal(err)
	}
	var documented map[string]json.RawMessage
	if err := json.Unmarshal(raw, &documented); err != nil || len(documented) == 0 {
		t.Fatalf("%s: %s (%v)", ExtEvents, raw, err)
	}
	schemas := map[string]*openapi3.Schema{}
	for name, s := range documented {
		var ref struct {
			Ref string `json:"$ref"`
		}
		json.Unmarshal(s, &ref)
		if comp, found := strings.CutPrefix(ref.Ref, "#/components/schemas/"); found {
			if doc.Components.Schemas[comp] == nil {
				t.Fatalf("event %s refers to %s, which is not a component", name, ref.Ref)
			}
			schemas[name] = doc.Components.Schemas[comp].Value
			continue
		}
		var inline openapi3.Schema
		if err := json.Unmarshal(s, &inline); err != nil {
			t.Fatal(err)
		}
		schemas[name] = &inline
	}

	e := newExecEnv(t)
	var a executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	<-e.runner.started
	resp := e.do(e.session, "GET", fmt.Sprintf("/executions/%d/events", a.ID), nil, nil)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), MIMEEventStream) {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	seen := map[string]int{}
	logs := 0
	err = readSSE(resp.Body, func(ev sseEvent) bool {
		seen[ev.event]++
		s := schemas[ev.event]
		if s == nil {
			t.Errorf("the stream sent event %q, which the document does not list", ev.event)
			return true
		}
		var v any
		if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
			t.Errorf("event %s data %q is not JSON: %v", ev.event, ev.data, err)
		} else if err := s.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("event %s data %s does not fit its documented schema: %v", ev.event, ev.data, err)
		}
		if ev.event == "log" {
			if logs++; logs == 20 {
				close(e.runner.release) // the run succeeds; the stream ends
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"log", "progress", "status"} {
		if seen[name] == 0 {
			t.Errorf("no %s event in the stream (saw %v)", name, seen)
		}
	}
}

// Filters by id are documented as ids, so a client validating against the
// document refuses ?job=abc as the server does.
func TestOpenAPIIDFilters(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, c := range []struct{ path, param string }{{"/backups", "job"}, {"/backups", "destination"}, {"/executions", "jobId"}} {
		p := operation(t, doc, "GET", c.path).Parameters.GetByInAndName("query", c.param)
		if p == nil {
			t.Errorf("GET %s has no ?%s", c.path, c.param)
			continue
		}
		s := p.Schema.Value
		if !s.Type.Is("integer") || s.Min == nil || *s.Min != 1 {
			t.Errorf("GET %s ?%s schema: type %v min %v, want an integer of at least 1", c.path, c.param, s.Type, s.Min)
		}
	}
}
