-- What the scheduler has dealt with, per job (DESIGN §4), so that a restart
-- neither fires a scheduled run twice nor silently drops one.
CREATE TABLE job_schedule_state (
    job_id        INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    -- The schedule and IANA zone handled_until was reached under; when the
    -- job's differ, the scheduler starts over from the present.
    schedule      TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    -- Every fire time at or before this instant has been dealt with: run,
    -- caught up, or skipped with a log line.
    handled_until TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
