-- Reverses 0001. The core never migrates down on its own; this exists for
-- developers (migrate CLI) and is tested to run cleanly.
DROP TABLE audit_log;
DROP TABLE backup_sets;
DROP TABLE execution_logs;
DROP TABLE executions;
DROP TABLE job_notifications;
DROP TABLE job_destinations;
DROP TABLE jobs;
DROP TABLE encryption_profiles;
DROP TABLE notification_channels;
DROP TABLE destinations;
DROP TABLE sources;
DROP TABLE api_key_permissions;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE group_members;
DROP TABLE group_permissions;
DROP TABLE groups;
DROP TABLE users;
DROP TABLE settings;
DROP TABLE store_meta;
