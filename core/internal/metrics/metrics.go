// Package metrics is what GET /metrics serves, in Prometheus' text format:
// HTTP requests by route pattern, method and status with their latency, the
// plugins' supervision (up, crashes), executions by type and status as the
// state holds them, per-job runs, last success, duration and stored bytes,
// the queue length, and which build this is. Gauges that mirror state are
// collected on each scrape, so they never go stale and need no bookkeeping
// in the code that changes the state.
package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dbkeep/dbkeep/core/internal/buildinfo"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Path is where the metrics are served.
const Path = "/metrics"

const namespace = "dbkeep"

// Plugins is the view of the plugin host the metrics read.
type Plugins interface {
	// Loaded returns the result of loading plugins at start.
	Loaded() pluginhost.LoadReport
	// Status is the live supervision state.
	Status() []pluginhost.Status
}

// Executions counts executions per type and status.
type Executions interface {
	Counts(ctx context.Context) ([]store.ExecutionCount, error)
}

// Options are the sources of the metrics; a nil source reports nothing.
type Options struct {
	Plugins    Plugins
	Executions Executions
	// Jobs gives the per-job figures and the queue length; st.Executions()
	// is one.
	Jobs JobStats
	// ScrapeTimeout bounds the state query of one scrape; default 5s.
	ScrapeTimeout time.Duration
	Logger        hclog.Logger
}

// Metrics is one registry and the HTTP instruments feeding it.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds the registry: Go runtime and process metrics, build info, the
// HTTP instruments and the collectors reading opts' sources.
func New(opts Options) *Metrics {
	if opts.ScrapeTimeout <= 0 {
		opts.ScrapeTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	info := buildinfo.Get()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the labels say which dbkeep this is.",
		ConstLabels: prometheus.Labels{"version": info.Version, "sdk_version": info.SDKVersion,
			"protocol": info.Protocol, "goversion": info.GoVersion},
	})
	build.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.requests, m.latency,
	)
	if opts.Plugins != nil {
		m.reg.MustRegister(pluginCollector{opts.Plugins})
	}
	if opts.Executions != nil {
		m.reg.MustRegister(executionCollector{src: opts.Executions, timeout: opts.ScrapeTimeout, log: opts.Logger})
	}
	if opts.Jobs != nil {
		m.reg.MustRegister(jobCollector{src: opts.Jobs, timeout: opts.ScrapeTimeout, log: opts.Logger})
	}
	return m
}

// Middleware counts and times every request under the pattern of the route
// that answered it ("/api/v1/jobs/:id"), never the raw path, so label
// values stay bounded whatever clients send.
func (m *Metrics) Middleware() fiber.Handler {
	return func(c fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Answer the error now, as the app would after us, so the
			// status counted is the status sent.
			if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
			err = nil
		}
		route := c.Route().Path
		method := c.Method()
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().StatusCode())).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// Registry is the registry, for tests that gather it directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
