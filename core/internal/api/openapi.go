package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v3"
	"github.com/invopop/jsonschema"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/buildinfo"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// The OpenAPI 3.1 document is generated from the route table itself (the
// same entries Mount registers), so it cannot drift from what is served:
// methods, paths, access and, from each entry's describe call, a summary and
// the Go types of the request body and of the envelope's data, turned into
// JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) by reflection.

// OpenAPIPath is where the document is served, under Prefix.
const OpenAPIPath = "/openapi.json"

// Extensions on every operation saying what it needs; scripts probing the
// API's access read them instead of guessing from the security list.
const (
	// ExtAccess is "public", "authenticated" or "permission".
	ExtAccess = "x-dbkeep-access"
	// ExtPermission is the permission a "permission" route requires.
	ExtPermission = "x-dbkeep-permission"
)

// routeDoc is what the document says of a route.
type routeDoc struct {
	summary string
	// request is a value of the JSON body's type; noBody{} for a POST, PUT
	// or PATCH that reads none; nil for other methods.
	request any
	// response is a value of the envelope's data type; nil when the answer
	// carries only a message.
	response any
	// created: the route answers 201 instead of 200; accepted: 202.
	created, accepted bool
	// binary is the media type of a route answering a file (an attachment)
	// instead of the envelope; "" for envelope routes.
	binary string
	// events, when set, make the answer a Server-Sent Events stream of
	// these events instead of the envelope.
	events []streamEvent
	// errors documents error answers whose envelope also carries data.
	errors []errorBody
	// query lists query parameters besides limit and offset, which every
	// paged answer takes.
	query []queryParam
}

type queryParam struct {
	name, description string
	// id: the value is a resource id (a positive integer), not free text.
	id bool
}

// streamEvent is one kind of event of a text/event-stream answer: its
// event: name, what it means, and a value of its data's type (data: is
// that type's JSON on one line).
type streamEvent struct {
	name, description string
	data              any
}

// errorBody is an error answer (status, error.code) whose envelope carries
// data besides the error.
type errorBody struct {
	status      int
	code        string
	description string
	data        any
}

// noBody is the request of a POST, PUT or PATCH route that reads no body,
// said explicitly so that a forgotten request type is caught by the test.
type noBody struct{}

// rawJSON is the response of a route answering a JSON document outside the
// envelope (the OpenAPI document itself).
type rawJSON struct{}

// describe gives the route its summary, the type of its request body and
// the type of the data its envelope carries (nil: a message only).
func (r route) describe(summary string, request, response any) route {
	r.doc.summary, r.doc.request, r.doc.response = summary, request, response
	return r
}

// creates marks a route that answers 201 Created.
func (r route) creates() route {
	r.doc.created = true
	return r
}

// accepted marks a route that answers 202 Accepted: the work is queued or
// under way, and the envelope's data says where it stands.
func (r route) accepted() route {
	r.doc.accepted = true
	return r
}

// binary marks a route that answers a file of mediaType as an attachment
// (Content-Disposition names the file) instead of the envelope; its
// describe call passes a nil response.
func (r route) binary(mediaType string) route {
	r.doc.binary = mediaType
	return r
}

// eventStream marks a route that answers Server-Sent Events
// (text/event-stream) instead of the envelope; events lists every event
// name it sends with its data's type. Its describe call passes a nil
// response.
func (r route) eventStream(events ...streamEvent) route {
	r.doc.events = append(r.doc.events, events...)
	return r
}

// event is one kind of event for eventStream.
func event(name, description string, data any) streamEvent {
	return streamEvent{name: name, description: description, data: data}
}

// errorData documents an error answer of status whose envelope carries,
// besides error (with error.code code), data of data's type.
func (r route) errorData(status int, code, description string, data any) route {
	r.doc.errors = append(r.doc.errors, errorBody{status: status, code: code, description: description, data: data})
	return r
}

// withQuery documents a query parameter (a filter) of the route.
func (r route) withQuery(name, description string) route {
	r.doc.query = append(r.doc.query, queryParam{name: name, description: description})
	return r
}

// withIDQuery documents a query parameter holding a resource id (a filter
// such as ?job=3), which the handler refuses unless a positive integer.
func (r route) withIDQuery(name, description string) route {
	r.doc.query = append(r.doc.query, queryParam{name: name, description: description, id: true})
	return r
}

// openAPIRoutes: the document describing every route, itself included.
func (a *API) openAPIRoutes() []route {
	document := sync.OnceValues(func() ([]byte, error) { return OpenAPI(a.routes()) })
	return []route{
		get(OpenAPIPath, Public(), func(c fiber.Ctx) error {
			b, err := document()
			if err != nil {
				return fail(c, err)
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
			return c.Send(b)
		}).describe("This API's OpenAPI 3.1 document (not in the envelope)", nil, rawJSON{}),
	}
}

// OpenAPI builds the document for routes.
func OpenAPI(routes []route) ([]byte, error) {
	g := newSchemaGen()
	paths := map[string]map[string]any{}
	for _, r := range routes {
		path := openAPIPath(r.path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		m := strings.ToLower(r.method)
		if _, dup := paths[path][m]; dup {
			return nil, fmt.Errorf("openapi: %s %s is in the route table twice", r.method, r.path)
		}
		op, err := g.operation(r)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", r.method, r.path, err)
		}
		paths[path][m] = op
	}
	errSchema, err := g.schema(Error{})
	if err != nil {
		return nil, err
	}
	g.allowNulls()
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   "dbkeep API",
			"version": buildinfo.Version,
			"description": "Every answer is the envelope {success, message?, data?, error?}, except this document, " +
				"file downloads (application/zip) and event streams (" + MIMEEventStream + "), whose operations say so. " +
				"Sign in with a session cookie (cookie requests that change state also send " + auth.CSRFHeader +
				") or send an API key as Authorization: Bearer dbk_....",
		},
		"servers":  []any{map[string]any{"url": Prefix}},
		"security": bothCredentials(),
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": auth.SessionCookie,
					"description": "The session cookie POST /auth/login sets; requests that change state also carry the " + auth.CSRFHeader + " header."},
				"apiKey": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An API key, dbk_..., scoped to some of its owner's permissions."},
			},
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "The request failed; error.code is stable, error.fields names each invalid field.",
					"content": jsonContent(map[string]any{
						"type": "object", "required": []string{"success", "error"},
						"properties": map[string]any{"success": map[string]any{"const": false}, "error": errSchema},
					}),
				},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	// The reflector refers to definitions under $defs; the document keeps
	// them under components.
	return []byte(strings.ReplaceAll(string(b), `"#/$defs/`, `"#/components/schemas/`)), nil
}

func bothCredentials() []any {
	return []any{map[string]any{"session": []string{}}, map[string]any{"apiKey": []string{}}}
}

var fiberParam = regexp.MustCompile(`:([A-Za-z][A-Za-z0-9]*)`)

// openAPIPath turns Fiber's "/jobs/:id" into OpenAPI's "/jobs/{id}".
func openAPIPath(p string) string { return fiberParam.ReplaceAllString(p, "{$1}") }

func (g *schemaGen) operation(r route) (map[string]any, error) {
	d := r.doc
	op := map[string]any{
		"summary":     d.summary,
		"operationId": operationID(r),
		"tags":        []string{strings.Split(strings.TrimPrefix(r.path, "/"), "/")[0]},
	}
	var params []any
	for _, m := range fiberParam.FindAllStringSubmatch(r.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "integer", "minimum": 1}})
	}
	if isPaged(d.response) {
		params = append(params,
			map[string]any{"name": "limit", "in": "query", "description": fmt.Sprintf("page size, default %d", store.DefaultPageSize),
				"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": store.MaxPageSize}},
			map[string]any{"name": "offset", "in": "query", "description": "items to skip",
				"schema": map[string]any{"type": "integer", "minimum": 0}})
	}
	for _, q := range d.query {
		schema := map[string]any{"type": "string"}
		if q.id {
			schema = map[string]any{"type": "integer", "minimum": 1}
		}
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": schema})
	}
	if params != nil {
		op["parameters"] = params
	}

	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	responses := map[string]any{"default": errRef}
	switch {
	case r.access.public:
		op["security"] = []any{}
		op[ExtAccess] = "public"
	case r.access.authenticated:
		op["security"] = bothCredentials()
		op[ExtAccess] = "authenticated"
		responses["401"] = errRef
	default:
		op["security"] = bothCredentials()
		op[ExtAccess] = "permission"
		op[ExtPermission] = string(r.access.perm)
		op["description"] = fmt.Sprintf("Requires the permission %s.", r.access.perm)
		responses["401"], responses["403"] = errRef, errRef
	}

	if d.request != nil {
		if _, none := d.request.(noBody); !none {
			s, err := g.schema(d.request)
			if err != nil {
				return nil, err
			}
			op["requestBody"] = map[string]any{"required": true, "content": jsonContent(s)}
			responses["400"] = errRef
		}
	}
	status, ok, err := g.success(d)
	if err != nil {
		return nil, err
	}
	responses[status] = ok
	documented := map[int]bool{}
	for _, e := range d.errors {
		if e.status < 400 || e.status > 599 {
			return nil, fmt.Errorf("error answer %d is not an error status", e.status)
		}
		if documented[e.status] {
			return nil, fmt.Errorf("error answer %d documented twice", e.status)
		}
		documented[e.status] = true
		key := fmt.Sprint(e.status)
		data, err := g.schema(e.data)
		if err != nil {
			return nil, err
		}
		errSchema, err := g.schema(Error{})
		if err != nil {
			return nil, err
		}
		// data is optional: the same status may also answer other errors,
		// which carry none.
		responses[key] = map[string]any{
			"description": fmt.Sprintf("error.code %s: %s", e.code, e.description),
			"content": jsonContent(map[string]any{
				"type": "object", "required": []string{"success", "error"},
				"properties": map[string]any{"success": map[string]any{"const": false}, "error": errSchema, "data": data},
			}),
		}
	}
	op["responses"] = responses
	return op, nil
}

// success is the route's successful answer: its status and the response
// object (the envelope around data, a file, or an event stream).
func (g *schemaGen) success(d routeDoc) (string, map[string]any, error) {
	status, description := "200", "OK"
	switch {
	case d.created && d.accepted:
		return "", nil, fmt.Errorf("a route answers 201 or 202, not both")
	case d.created:
		status, description = "201", "Created"
	case d.accepted:
		status, description = "202", "Accepted: queued or under way; data says where it stands"
	}
	if (d.binary != "" || d.events != nil) && d.response != nil {
		return "", nil, fmt.Errorf("a file or event-stream answer has no envelope: describe it with a nil response")
	}
	if d.binary != "" && d.events != nil {
		return "", nil, fmt.Errorf("a route answers a file or an event stream, not both")
	}
	switch {
	case d.binary != "":
		return status, map[string]any{
			"description": fmt.Sprintf("%s: a %s file sent as an attachment (not the envelope)", description, d.binary),
			"headers": map[string]any{
				fiber.HeaderContentDisposition: map[string]any{
					"description": `attachment; filename="..." naming the file`,
					"required":    true,
					"schema":      map[string]any{"type": "string", "pattern": "^attachment;"},
				},
			},
			"content": map[string]any{d.binary: map[string]any{
				"schema": map[string]any{"type": "string", "contentMediaType": d.binary},
			}},
		}, nil
	case d.events != nil:
		return g.eventStreamAnswer(status, description, d.events)
	}
	var body map[string]any
	switch d.response.(type) {
	case rawJSON:
		body = map[string]any{"type": "object"}
	case nil:
		body = envelope(nil)
	default:
		s, err := g.schema(d.response)
		if err != nil {
			return "", nil, err
		}
		body = envelope(s)
	}
	return status, map[string]any{"description": description, "content": jsonContent(body)}, nil
}

// MIMEEventStream is the media type of Server-Sent Events.
const MIMEEventStream = "text/event-stream"

// ExtEvents, on an event stream's media type, maps each event name to the
// JSON Schema of its data, for clients that decode the events.
const ExtEvents = "x-dbkeep-events"

// eventStreamAnswer describes a Server-Sent Events answer. OpenAPI 3.1 has
// no way to type the events, so the body is a string; the description lists
// each event with its data's shape, and ExtEvents carries their schemas.
func (g *schemaGen) eventStreamAnswer(status, description string, events []streamEvent) (string, map[string]any, error) {
	var text strings.Builder
	fmt.Fprintf(&text, "%s: Server-Sent Events (%s), not the envelope. Each event is `event: <name>` and "+
		"`data: <JSON on one line>`; lines starting with `:` are heartbeats. Events:", description, MIMEEventStream)
	schemas := map[string]any{}
	for _, e := range events {
		if e.name == "" || strings.ContainsAny(e.name, " \r\n:") {
			return "", nil, fmt.Errorf("event name %q is not a valid SSE event name", e.name)
		}
		if _, dup := schemas[e.name]; dup {
			return "", nil, fmt.Errorf("event %q listed twice", e.name)
		}
		s, err := g.schema(e.data)
		if err != nil {
			return "", nil, err
		}
		schemas[e.name] = s
		fmt.Fprintf(&text, "\n- `%s`: %s; data is %s.", e.name, e.description, shapeOf(s))
	}
	return status, map[string]any{
		"description": text.String(),
		"content": map[string]any{MIMEEventStream: map[string]any{
			"schema":  map[string]any{"type": "string"},
			ExtEvents: schemas,
		}},
	}, nil
}

// shapeOf names a schema in prose: its component, or its type.
func shapeOf(s map[string]any) string {
	if ref, ok := s["$ref"].(string); ok {
		name := ref[strings.LastIndexByte(ref, '/')+1:]
		return "a " + name + " object (#/components/schemas/" + name + ")"
	}
	b, _ := json.Marshal(s)
	return "JSON matching " + string(b)
}

// envelope is the success envelope around data (nil: a message only).
func envelope(data map[string]any) map[string]any {
	props := map[string]any{
		"success": map[string]any{"const": true},
		"message": map[string]any{"type": "string"},
	}
	if data != nil {
		props["data"] = data
	}
	return map[string]any{"type": "object", "required": []string{"success"}, "properties": props}
}

func jsonContent(schema map[string]any) map[string]any {
	return map[string]any{fiber.MIMEApplicationJSON: map[string]any{"schema": schema}}
}

// operationID is unique per method and path: "get_users_id".
func operationID(r route) string {
	id := strings.ToLower(r.method)
	for _, part := range strings.Split(r.path, "/") {
		part = strings.TrimPrefix(part, ":")
		if part != "" {
			id += "_" + strings.NewReplacer("-", "_", ".", "_").Replace(part)
		}
	}
	return id
}

var pagedName = regexp.MustCompile(`^Paged\[`)

func isPaged(v any) bool {
	if v == nil {
		return false
	}
	t := reflect.TypeOf(v)
	return t.PkgPath() == reflect.TypeFor[Paged[int]]().PkgPath() && pagedName.MatchString(t.Name())
}

// schemaGen turns Go values into JSON Schemas, collecting named types as
// components.
type schemaGen struct {
	r          *jsonschema.Reflector
	components map[string]any
	// names maps each component name to the one type it names.
	names map[string]reflect.Type
}

func newSchemaGen() *schemaGen {
	g := &schemaGen{components: map[string]any{}, names: map[string]reflect.Type{}}
	g.r = &jsonschema.Reflector{
		Anonymous: true,
		// Nothing is marked required: omitted fields decode to zero values
		// the services then validate, and the errors name those fields.
		RequiredFromJSONSchemaTags: true,
		Namer:                      g.name,
		Mapper:                     mapType,
	}
	return g
}

// mapType gives types whose JSON is not their Go shape their schema.
func mapType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[json.RawMessage]() {
		return &jsonschema.Schema{}
	}
	return nil
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// name is a type's component name: its Go name, generics spelled out
// ("Paged[.../store.User]" → "PagedUser"), qualified by its package only
// when another type already took the short name.
func (g *schemaGen) name(t reflect.Type) string {
	n := t.Name()
	if n == "" {
		return "" // unnamed (pointer, slice, map): described in place
	}
	if i := strings.IndexByte(n, '['); i >= 0 {
		base, args := n[:i], strings.Split(strings.TrimSuffix(n[i+1:], "]"), ",")
		n = base
		for _, a := range args {
			n += a[strings.LastIndexAny(a, "./")+1:]
		}
	}
	n = nonName.ReplaceAllString(n, "")
	if prev, taken := g.names[n]; taken && prev != t {
		pkg := t.PkgPath()
		n = pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + n
	}
	g.names[n] = t
	return n
}

// schema reflects v's type, moving named types into components, and
// returns the schema to use in place (usually a $ref).
func (g *schemaGen) schema(v any) (map[string]any, error) {
	s := g.r.Reflect(v)
	for name, def := range s.Definitions {
		b, err := json.Marshal(def)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		g.components[name] = m
	}
	s.Definitions, s.Version, s.ID = nil, "", ""
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// allowNulls lets every pointer, slice, map and interface field of the
// components be null: encoding/json writes null for a nil one, and decode
// accepts null for any field ("schedule": null means no schedule). The
// reflector knows nullability only from tags the project does not write.
func (g *schemaGen) allowNulls() {
	for name, t := range g.names {
		comp, ok := g.components[name].(map[string]any)
		if !ok || t.Kind() != reflect.Struct {
			continue
		}
		props, _ := comp["properties"].(map[string]any)
		for _, field := range nullableFields(t) {
			if p, ok := props[field]; ok {
				props[field] = map[string]any{"anyOf": []any{p, map[string]any{"type": "null"}}}
			}
		}
	}
}

// nullableFields lists the JSON names of t's fields that may be null,
// looking through embedded structs as encoding/json does.
func nullableFields(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		if f.Anonymous && tag == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				names = append(names, nullableFields(ft)...)
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		switch ft.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			names = append(names, tag)
		}
	}
	return names
}
