package metrics

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

var (
	pluginUpDesc = prometheus.NewDesc(namespace+"_plugin_up",
		"1 when the plugin's process is running, 0 when it is not (crashed and not restarted, or failed to start).",
		[]string{"plugin"}, nil)
	pluginCrashesDesc = prometheus.NewDesc(namespace+"_plugin_crashes_total",
		"Unexpected exits of the plugin's process since the core started.",
		[]string{"plugin"}, nil)
	pluginRestartsDesc = prometheus.NewDesc(namespace+"_plugin_restarts_total",
		"Processes of the plugin started again after the first (after a crash, on next use) since the core started.",
		[]string{"plugin"}, nil)
	pluginsRefusedDesc = prometheus.NewDesc(namespace+"_plugins_refused",
		"Plugins found at start but refused (bad checksum, wrong protocol, failed handshake).",
		nil, nil)
	executionsDesc = prometheus.NewDesc(namespace+"_executions",
		"Executions in the state database, by type (backup, restore, verify) and status.",
		[]string{"type", "status"}, nil)
	scrapeErrorDesc = prometheus.NewDesc(namespace+"_executions_scrape_error",
		"1 when counting executions failed on this scrape (the state database did not answer).",
		nil, nil)
)

// pluginCollector reads the plugin host's supervision state on each scrape.
type pluginCollector struct{ src Plugins }

func (pc pluginCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pluginUpDesc
	ch <- pluginCrashesDesc
	ch <- pluginRestartsDesc
	ch <- pluginsRefusedDesc
}

func (pc pluginCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range pc.src.Status() {
		up := 0.0
		if s.Running {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(pluginUpDesc, prometheus.GaugeValue, up, s.ID)
		ch <- prometheus.MustNewConstMetric(pluginCrashesDesc, prometheus.CounterValue, float64(s.Crashes), s.ID)
		ch <- prometheus.MustNewConstMetric(pluginRestartsDesc, prometheus.CounterValue, float64(s.Restarts), s.ID)
	}
	ch <- prometheus.MustNewConstMetric(pluginsRefusedDesc, prometheus.GaugeValue, float64(len(pc.src.Loaded().Refused)))
}

// executionCollector counts executions in the state on each scrape: one
// grouped query, bounded by a timeout so a stuck database cannot hold
// scrapes forever.
type executionCollector struct {
	src     Executions
	timeout time.Duration
	log     hclog.Logger
}

func (ec executionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- executionsDesc
	ch <- scrapeErrorDesc
}

func (ec executionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ec.timeout)
	defer cancel()
	counts, err := ec.src.Counts(ctx)
	failed := 0.0
	if err != nil {
		ec.log.Warn("metrics: counting executions failed", "error", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
	if err != nil {
		return // no series rather than false zeros
	}
	// Every known pair is reported, zeros included, so a rate or an alert
	// on failed backups has a series before the first failure.
	n := map[store.ExecutionCount]float64{}
	for _, c := range counts {
		n[store.ExecutionCount{Type: c.Type, Status: c.Status}] += float64(c.Count)
	}
	for _, typ := range executionTypes {
		for _, st := range executionStatuses {
			k := store.ExecutionCount{Type: typ, Status: st}
			ch <- prometheus.MustNewConstMetric(executionsDesc, prometheus.GaugeValue, n[k], string(typ), string(st))
			delete(n, k)
		}
	}
	for k, v := range n { // a type or status newer than this list
		ch <- prometheus.MustNewConstMetric(executionsDesc, prometheus.GaugeValue, v, string(k.Type), string(k.Status))
	}
}

var (
	executionTypes    = []store.ExecutionType{store.TypeBackup, store.TypeRestore, store.TypeVerify}
	executionStatuses = []store.ExecutionStatus{store.StatusPending, store.StatusRunning, store.StatusSuccess,
		store.StatusPartial, store.StatusFailed, store.StatusCancelled, store.StatusInterrupted}
)
