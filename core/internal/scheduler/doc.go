// Package scheduler enqueues the scheduled backups of enabled jobs when
// their cron expressions (github.com/adhocore/gronx, five fields or a
// macro) come due, read in the job's IANA zone or the defaultTimezone
// setting (DESIGN §4).
//
// Fire times follow the wall clock of the zone, with two rules for the
// days the clock jumps (docs/scheduling.md):
//
//   - a wall time that does not exist (spring forward) fires once, at the
//     first instant after the gap: "30 2 * * *" in Europe/Berlin on the last
//     Sunday of March fires at 03:00 CEST;
//   - a wall time that occurs twice (fall back) fires once, at its first
//     occurrence.
//
// So a run is never doubled and never silently dropped. What has been fired
// is kept per job in the state database: a restart fires nothing twice, and
// a fire time missed while the server was down runs once at start when it
// is within the missedRunWindow setting, and is skipped with a log line
// otherwise.
package scheduler
