package metrics

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// JobStats reads the per-job figures; *store.Executions is one.
type JobStats interface {
	JobStats(ctx context.Context) (store.JobStats, error)
}

var (
	jobRunsDesc = prometheus.NewDesc(namespace+"_job_runs_total",
		"Finished backup runs in the state database, by job and final status (success, partial, failed, cancelled, interrupted). "+
			"Drops only when history is deleted, which rate() reads as a counter reset.",
		[]string{"job", "status"}, nil)
	jobLastSuccessDesc = prometheus.NewDesc(namespace+"_job_last_success_timestamp_seconds",
		"When the job's newest successful backup finished, in Unix seconds; no series before its first success.",
		[]string{"job"}, nil)
	jobLastDurationDesc = prometheus.NewDesc(namespace+"_job_last_duration_seconds",
		"How long the job's newest successful backup ran, start to finish.",
		[]string{"job"}, nil)
	jobLastBytesDesc = prometheus.NewDesc(namespace+"_job_last_success_bytes",
		"Bytes stored by the job's newest successful backup: its complete sets summed over the job's destinations.",
		[]string{"job"}, nil)
	queueLengthDesc = prometheus.NewDesc(namespace+"_queue_length",
		"Executions waiting in the queue (pending), of every type.",
		nil, nil)
	jobScrapeErrorDesc = prometheus.NewDesc(namespace+"_jobs_scrape_error",
		"1 when reading the per-job figures failed on this scrape (the state database did not answer).",
		nil, nil)
)

// finalStatuses are the statuses a finished run can have; each gets a
// series per job, zero included, so an alert on failures has a series
// before the first one.
var finalStatuses = []store.ExecutionStatus{store.StatusSuccess, store.StatusPartial, store.StatusFailed,
	store.StatusCancelled, store.StatusInterrupted}

// jobCollector reads the per-job figures from the state on each scrape, in
// one snapshot, bounded by a timeout. Durations are the last successful
// run's, as a gauge: a histogram would need observing each run as it ends,
// and would start empty at every restart while the state keeps history.
type jobCollector struct {
	src     JobStats
	timeout time.Duration
	log     hclog.Logger
}

func (jc jobCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobRunsDesc, jobLastSuccessDesc, jobLastDurationDesc, jobLastBytesDesc,
		queueLengthDesc, jobScrapeErrorDesc} {
		ch <- d
	}
}

func (jc jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jc.timeout)
	defer cancel()
	stats, err := jc.src.JobStats(ctx)
	failed := 0.0
	if err != nil {
		jc.log.Warn("metrics: reading job figures failed", "error", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(jobScrapeErrorDesc, prometheus.GaugeValue, failed)
	if err != nil {
		return // no series rather than false zeros
	}
	ch <- prometheus.MustNewConstMetric(queueLengthDesc, prometheus.GaugeValue, float64(stats.Pending))
	runs := map[string]map[store.ExecutionStatus]float64{}
	for _, r := range stats.Runs {
		if runs[r.Job] == nil {
			runs[r.Job] = map[store.ExecutionStatus]float64{}
		}
		runs[r.Job][r.Status] += float64(r.Count)
	}
	for job, byStatus := range runs {
		for _, st := range finalStatuses {
			ch <- prometheus.MustNewConstMetric(jobRunsDesc, prometheus.CounterValue, byStatus[st], job, string(st))
			delete(byStatus, st)
		}
		for st, n := range byStatus { // a status newer than this list
			ch <- prometheus.MustNewConstMetric(jobRunsDesc, prometheus.CounterValue, n, job, string(st))
		}
	}
	for _, ls := range stats.LastSuccess {
		ch <- prometheus.MustNewConstMetric(jobLastSuccessDesc, prometheus.GaugeValue,
			float64(ls.FinishedAt.UnixMilli())/1000, ls.Job)
		ch <- prometheus.MustNewConstMetric(jobLastDurationDesc, prometheus.GaugeValue,
			ls.FinishedAt.Sub(ls.StartedAt).Seconds(), ls.Job)
		ch <- prometheus.MustNewConstMetric(jobLastBytesDesc, prometheus.GaugeValue, float64(ls.StoredBytes), ls.Job)
	}
}
