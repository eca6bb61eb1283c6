// Package retention decides which backup sets of one job on one destination
// to keep and which to delete (DESIGN §4). Decide is a pure function of the
// sets, the policy, the time and the job's time zone: nothing here touches
// storage, so the engine's retention step lists the sets, calls Decide and
// deletes what it returns, logging every Deleted.Reason on the execution.
//
// The rules, in short (docs/retention.md has the whole story):
//
//   - keep-all keeps every complete set.
//   - simple keeps the newest KeepLast complete sets and every complete set
//     younger than KeepDays calendar days; a set either rule keeps is kept.
//   - gfs keeps the union of the newest KeepLast complete sets and, for each
//     of daily, weekly (ISO 8601), monthly and yearly, the newest complete
//     set in each of the N most recent buckets that hold one, with buckets
//     read in Options.Location. This is restic's forget --keep-* rule.
//   - Whatever the policy, a locked set, the newest complete set and a set
//     whose execution is running are kept; an incomplete set is deleted only
//     once it is older than Options.IncompleteGrace and not running, and it
//     never counts as a backup in any rule.
//   - An invalid policy (see Policy.Validate) keeps everything: a mistake in
//     a policy never deletes more.
package retention
