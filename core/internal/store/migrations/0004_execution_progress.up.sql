-- The whole progress of a run (execlog.Progress: stage, database, bytes
-- read, bytes stored per destination) as the journal last persisted it.
-- bytes_done, bytes_total and stage keep the summary lists sort and show.
ALTER TABLE executions ADD COLUMN progress TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(progress));
