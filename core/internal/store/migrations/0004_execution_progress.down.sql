-- Reverses 0004.
ALTER TABLE executions DROP COLUMN progress;
