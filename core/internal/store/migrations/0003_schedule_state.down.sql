-- Reverses 0003.
DROP TABLE job_schedule_state;
