package configuration_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestSourceCRUDTestAndDatabases(t *testing.T) {
	e := newEnv(t)
	path := e.sqliteFile("shop.db")
	src := e.source("Shop", path)
	if src.PluginID != "database-sqlite" || src.Config["path"] != path || len(src.SecretsSet) != 0 {
		t.Fatalf("created %+v", src)
	}

	var test configuration.SourceTest
	e.must(200, "POST", fmt.Sprintf("/sources/%d/test", src.ID), nil, &test)
	if !strings.Contains(strings.ToLower(test.Engine), "sqlite") || test.Version == "" {
		t.Errorf("test = %+v, want the SQLite engine and its version", test)
	}

	var dbs struct {
		Items []configuration.Database `json:"items"`
		Total int                      `json:"total"`
	}
	e.must(200, "GET", fmt.Sprintf("/sources/%d/databases", src.ID), nil, &dbs)
	if dbs.Total != 1 || dbs.Items[0].Name != "shop" || dbs.Items[0].SizeBytes <= 0 {
		t.Errorf("databases = %+v, want shop with its size", dbs)
	}

	var got configuration.Connection
	e.must(200, "PUT", fmt.Sprintf("/sources/%d", src.ID), map[string]any{"name": "Shop DB", "config": map[string]any{"path": path}}, &got)
	if got.Name != "Shop DB" || got.Config["path"] != path {
		t.Errorf("updated %+v", got)
	}
	e.must(200, "GET", fmt.Sprintf("/sources/%d", src.ID), nil, &got)
	if got.Name != "Shop DB" {
		t.Errorf("get after update: %+v", got)
	}
	e.must(200, "DELETE", fmt.Sprintf("/sources/%d", src.ID), nil, nil)
	if a := e.call("GET", fmt.Sprintf("/sources/%d", src.ID), nil); a.Status != 404 || a.Error.Code != "not_found" {
		t.Errorf("get after delete: %d %s", a.Status, a.Raw)
	}
}

// A source whose file is gone answers a plugin error a person can read, not
// a 500.
func TestSourceTestFailureReadsWell(t *testing.T) {
	e := newEnv(t)
	path := e.sqliteFile("gone.db")
	src := e.source("Gone", path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	a := e.call("POST", fmt.Sprintf("/sources/%d/test", src.ID), nil)
	if a.Status < 400 || a.Status >= 500 && a.Status != 502 || a.Error == nil {
		t.Fatalf("test of a missing file: %d %s", a.Status, a.Raw)
	}
	if !strings.Contains(a.Error.Message, `source "Gone"`) || !strings.Contains(a.Error.Message, "database-sqlite") {
		t.Errorf("message %q should name the source and the plugin", a.Error.Message)
	}
	if strings.HasSuffix(a.Error.Message, ": unavailable") {
		t.Errorf("message %q ends in the sentinel's bare word", a.Error.Message)
	}
	t.Logf("answer: %d %s: %s", a.Status, a.Error.Code, a.Error.Message)
}

// A far side that does not answer is cut off at the probe timeout, and the
// answer says so in words.
func TestProbeTimeout(t *testing.T) {
	e := newEnvProbing(t, 700*time.Millisecond)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	ch := e.channel("Slow", slow.URL)
	start := time.Now()
	a := e.call("POST", fmt.Sprintf("/notification-channels/%d/test", ch.ID), nil)
	if a.Status != 504 || a.Error == nil || !strings.Contains(a.Error.Message, "no answer within 700ms") {
		t.Fatalf("slow receiver: %d %s, want 504 saying no answer within 700ms", a.Status, a.Raw)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %s despite the 700ms bound", took)
	}
}

func TestConnectionValidationNamesFields(t *testing.T) {
	e := newEnv(t)
	path := e.sqliteFile("v.db")
	cases := []struct {
		name        string
		body        any
		field, part string
	}{
		{"unknown field", `{"name":"a","pluginId":"database-sqlite","config":{"path":"` + path + `"},"colour":"red"}`, "colour", "not a known field"},
		{"wrong JSON type", `{"name":5,"pluginId":"database-sqlite","config":{}}`, "name", "must be a string"},
		{"missing name", map[string]any{"pluginId": "database-sqlite", "config": map[string]any{"path": path}}, "name", "is required"},
		{"missing plugin", map[string]any{"name": "a", "config": map[string]any{"path": path}}, "pluginId", "is required"},
		{"plugin of another kind", map[string]any{"name": "a", "pluginId": "storage-local", "config": map[string]any{"path": path}}, "pluginId", "needs a database plugin"},
		{"plugin not installed", map[string]any{"name": "a", "pluginId": "database-nope", "config": map[string]any{}}, "pluginId", "no plugin database-nope is installed"},
		{"missing required config field", map[string]any{"name": "a", "pluginId": "database-sqlite", "config": map[string]any{}}, "config.path", "is required"},
		{"unknown config field", map[string]any{"name": "a", "pluginId": "database-sqlite", "config": map[string]any{"path": path, "port": 1}}, "config.port", "not a field of this plugin"},
		{"config value an object", map[string]any{"name": "a", "pluginId": "database-sqlite", "config": map[string]any{"path": map[string]any{}}}, "config.path", "not an object"},
		{"plugin's own rule", map[string]any{"name": "a", "pluginId": "database-sqlite", "config": map[string]any{"path": "relative.db"}}, "config.path", "absolute path"},
		{"clearSecrets on create", map[string]any{"name": "a", "pluginId": "database-sqlite", "config": map[string]any{"path": path}, "clearSecrets": []string{"x"}}, "clearSecrets", "only applies to an update"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields := e.invalid("POST", "/sources", tc.body)
			if !hasField(fields, tc.field, tc.part) {
				t.Errorf("fields %+v, want %s: …%s…", fields, tc.field, tc.part)
			}
		})
	}
	// Wrong type inside a config, per the plugin's schema.
	fields := e.invalid("POST", "/destinations", map[string]any{"name": "d", "pluginId": "storage-local",
		"config": map[string]any{"path": e.dir, "create": "maybe"}})
	if !hasField(fields, "config.create", "true or false") {
		t.Errorf("fields %+v, want config.create: must be true or false", fields)
	}
	// A taken name is a field error too.
	e.source("Same", path)
	if fields := e.invalid("POST", "/sources", map[string]any{"name": "same", "pluginId": "database-sqlite",
		"config": map[string]any{"path": path}}); !hasField(fields, "name", "already used") {
		t.Errorf("fields %+v, want name: already used", fields)
	}
	// The plugin cannot change on update.
	src := e.source("Fixed", path)
	if fields := e.invalid("PUT", fmt.Sprintf("/sources/%d", src.ID), map[string]any{"name": "Fixed", "pluginId": "database-postgres",
		"config": map[string]any{"path": path}}); !hasField(fields, "pluginId", "cannot change") {
		t.Errorf("fields %+v, want pluginId: cannot change", fields)
	}
}

func TestListsArePaginated(t *testing.T) {
	e := newEnv(t)
	path := e.sqliteFile("p.db")
	for i := range 5 {
		e.source(fmt.Sprintf("src-%d", i), path)
	}
	var pg struct {
		Items  []configuration.Connection `json:"items"`
		Total  int                        `json:"total"`
		Limit  int                        `json:"limit"`
		Offset int                        `json:"offset"`
	}
	e.must(200, "GET", "/sources?limit=2&offset=3", nil, &pg)
	if pg.Total != 5 || pg.Limit != 2 || pg.Offset != 3 || len(pg.Items) != 2 || pg.Items[0].Name != "src-3" {
		t.Errorf("page = %+v", pg)
	}
	e.must(200, "GET", "/sources?offset=10", nil, &pg)
	if pg.Total != 5 || len(pg.Items) != 0 {
		t.Errorf("page past the end = %+v", pg)
	}
	if fields := e.invalid("GET", "/sources?limit=0", nil); !hasField(fields, "limit", "") {
		t.Errorf("limit=0: %+v", fields)
	}
	for _, path := range []string{"/destinations", "/notification-channels", "/encryption-profiles", "/jobs", "/plugins"} {
		var pg struct {
			Items []any `json:"items"`
			Limit int   `json:"limit"`
		}
		e.must(200, "GET", path+"?limit=1", nil, &pg)
		if pg.Limit != 1 || pg.Items == nil {
			t.Errorf("%s is not paginated: %+v", path, pg)
		}
	}
}

func TestDestinationTestAndUsage(t *testing.T) {
	e := newEnv(t)
	d := e.destination("Local")
	if d.Config["create"] != "true" {
		t.Errorf("a JSON true should be stored as the text true: %+v", d.Config)
	}
	var test configuration.DestinationTest
	e.must(200, "POST", fmt.Sprintf("/destinations/%d/test", d.ID), nil, &test)
	if test.Message == "" {
		t.Error("test answered no description")
	}
	var u configuration.Usage
	e.must(200, "GET", fmt.Sprintf("/destinations/%d/usage", d.ID), nil, &u)
	if u.TotalBytes <= 0 || u.FreeBytes <= 0 || u.UsedBytes < 0 {
		t.Errorf("usage = %+v", u)
	}
}

// webhookSink is a real HTTP receiver on 127.0.0.1 recording what reaches it.
type webhookSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []http.Header
}

func newSink(t *testing.T) *webhookSink {
	s := &webhookSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Header.Clone())
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *webhookSink) last(t *testing.T) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		t.Fatal("the webhook received nothing")
	}
	return s.got[len(s.got)-1]
}

func TestSecretsMaskedKeptAndCleared(t *testing.T) {
	e := newEnv(t)
	sink := newSink(t)
	const secret, token = "s3cr3t-signing-value", "tok-0123456789"
	var ch configuration.Connection
	a := e.must(201, "POST", "/notification-channels", map[string]any{"name": "Ops", "pluginId": "notification-webhook",
		"config": map[string]any{"url": sink.srv.URL, "secret": secret, "headers": "Authorization: Bearer " + token, "timeout": 5}}, &ch)
	assertNoSecret(t, a.Raw, secret, token)
	if ch.Config["secret"] != spec.Mask || ch.Config["headers"] != spec.Mask || ch.Config["timeout"] != "5" {
		t.Errorf("config = %v, want secret and headers masked", ch.Config)
	}
	if strings.Join(ch.SecretsSet, ",") != "headers,secret" {
		t.Errorf("secretsSet = %v", ch.SecretsSet)
	}
	for _, path := range []string{fmt.Sprintf("/notification-channels/%d", ch.ID), "/notification-channels"} {
		assertNoSecret(t, e.must(200, "GET", path, nil, nil).Raw, secret, token)
	}

	sendTest := func() http.Header {
		t.Helper()
		e.must(200, "POST", fmt.Sprintf("/notification-channels/%d/test", ch.ID), nil, nil)
		return sink.last(t)
	}
	h := sendTest()
	if h.Get("X-Dbkeep-Signature") == "" || h.Get("Authorization") != "Bearer "+token {
		t.Fatalf("the test notification lacks the stored secrets: %v", h)
	}

	// An update sending back the masks (and an empty value) keeps both.
	a = e.must(200, "PUT", fmt.Sprintf("/notification-channels/%d", ch.ID), map[string]any{"name": "Ops 2",
		"config": map[string]any{"url": sink.srv.URL, "secret": spec.Mask, "headers": ""}}, &ch)
	assertNoSecret(t, a.Raw, secret, token)
	if strings.Join(ch.SecretsSet, ",") != "headers,secret" {
		t.Errorf("after a masked update secretsSet = %v", ch.SecretsSet)
	}
	if h := sendTest(); h.Get("X-Dbkeep-Signature") == "" || h.Get("Authorization") != "Bearer "+token {
		t.Fatalf("a masked update lost the secrets: %v", h)
	}

	// Clearing is explicit and checked.
	if fields := e.invalid("PUT", fmt.Sprintf("/notification-channels/%d", ch.ID), map[string]any{"name": "Ops 2",
		"config": map[string]any{"url": sink.srv.URL}, "clearSecrets": []string{"url"}}); !hasField(fields, "clearSecrets[0]", "not a secret field") {
		t.Errorf("clearing a plain field: %+v", fields)
	}
	if fields := e.invalid("PUT", fmt.Sprintf("/notification-channels/%d", ch.ID), map[string]any{"name": "Ops 2",
		"config": map[string]any{"url": sink.srv.URL, "secret": "new"}, "clearSecrets": []string{"secret"}}); !hasField(fields, "clearSecrets[0]", "new value") {
		t.Errorf("setting and clearing at once: %+v", fields)
	}
	id := ch.ID
	ch = configuration.Connection{} // decoding into a used map would keep old keys
	e.must(200, "PUT", fmt.Sprintf("/notification-channels/%d", id), map[string]any{"name": "Ops 2",
		"config": map[string]any{"url": sink.srv.URL}, "clearSecrets": []string{"secret"}}, &ch)
	if strings.Join(ch.SecretsSet, ",") != "headers" || ch.Config["secret"] != "" {
		t.Errorf("after clearing: secretsSet %v config %v", ch.SecretsSet, ch.Config)
	}
	if h := sendTest(); h.Get("X-Dbkeep-Signature") != "" || h.Get("Authorization") != "Bearer "+token {
		t.Fatalf("clearing the secret: signature still sent or headers lost: %v", h)
	}

	// Neither the audit log nor the state database file holds a secret.
	entries, _, err := e.st.Audit().List(t.Context(), store.AuditFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 5 {
		t.Errorf("audit holds %d entries, want every change and test recorded", len(entries))
	}
	assertNoSecret(t, fmt.Sprintf("%+v", entries), secret, token)
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(e.st.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		assertNoSecret(t, string(raw), secret, token)
	}
}

func assertNoSecret(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Fatalf("a secret leaked: %q found in\n%.2000s", secret, s)
		}
	}
}

// A value stored in clear under a field the plugin's schema now marks
// secret (a plugin upgrade) is masked all the same.
func TestFieldSecretNowIsMasked(t *testing.T) {
	e := newEnv(t)
	const old = "stored-before-it-was-secret"
	c, err := e.st.NotificationChannels().Create(t.Context(), store.ConnectionInput{Name: "Legacy", PluginID: "notification-webhook",
		Schema: spec.Schema{}, Config: spec.Config{"url": "http://127.0.0.1:9/", "secret": old}})
	if err != nil {
		t.Fatal(err)
	}
	var got configuration.Connection
	a := e.must(200, "GET", fmt.Sprintf("/notification-channels/%d", c.ID), nil, &got)
	assertNoSecret(t, a.Raw, old)
	assertNoSecret(t, e.must(200, "GET", "/notification-channels", nil, nil).Raw, old)
	if got.Config["secret"] != spec.Mask || strings.Join(got.SecretsSet, ",") != "secret" {
		t.Errorf("config %v secretsSet %v, want the field masked and listed", got.Config, got.SecretsSet)
	}
}
