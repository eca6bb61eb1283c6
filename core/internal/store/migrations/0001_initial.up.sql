-- dbkeep state schema, version 1.
--
-- Conventions (docs: store package doc):
--  * ids are INTEGER PRIMARY KEY AUTOINCREMENT: never reused, so an id seen in
--    the audit log or bound into a sealed value's associated data always names
--    the same row.
--  * times are TEXT, UTC, fixed width 'YYYY-MM-DDTHH:MM:SS.mmmZ': readable in
--    the sqlite3 shell, ISO 8601 like the API, and sorting as text sorts by
--    time. One Go function in package store writes them all.
--  * booleans are INTEGER 0/1 with a CHECK.
--  * names users type are UNIQUE COLLATE NOCASE: "Nightly" and "nightly"
--    would look like the same job in the UI.
--  * sealed values are BLOBs written by package seal; their associated data
--    is 'dbkeep/<table>/<id>/<column>'.
--  * ON DELETE: configuration other rows depend on is RESTRICT (the API
--    answers "in use"); parts of an aggregate CASCADE with it; history
--    (executions, backup sets, audit) outlives what it refers to via SET NULL
--    plus a copied name.

CREATE TABLE store_meta (
    -- Internal values of the store itself (the key check), never exposed
    -- through the settings API.
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Accounts -----------------------------------------------------------------

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
    display_name  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    -- argon2id PHC string; NULL for accounts that only sign in through OIDC.
    password_hash TEXT,
    -- Sealed TOTP secret; NULL while TOTP is not enrolled.
    totp_sealed   BLOB,
    oidc_provider TEXT,
    oidc_subject  TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT,
    CHECK ((oidc_provider IS NULL) = (oidc_subject IS NULL))
);
-- One local account per OIDC identity. NULLs are distinct, so password-only
-- accounts do not collide.
CREATE UNIQUE INDEX users_oidc_identity ON users (oidc_provider, oidc_subject);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
    description TEXT NOT NULL DEFAULT '',
    -- Built-in groups (admin) cannot be deleted or stripped of permissions;
    -- the service enforces that, the flag records it.
    builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The permission catalogue lives in Go (one file); here only the shape
-- 'resource:action' is checked, so adding a permission needs no migration.
CREATE TABLE group_permissions (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission GLOB '[a-z]*:[a-z]*'),
    PRIMARY KEY (group_id, permission)
) WITHOUT ROWID;

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
-- "Which groups is this user in" is asked on every authenticated request.
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the cookie token: a copy of the database does not log anyone in.
    token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    csrf_hash    BLOB NOT NULL CHECK (length(csrf_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
-- Purging expired sessions.
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- A key belongs to the user who made it and dies with that user.
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- The visible start of the token ('dbk_' + a few characters), shown in
    -- listings and used to find the row before comparing the hash.
    prefix       TEXT NOT NULL UNIQUE,
    key_hash     BLOB NOT NULL CHECK (length(key_hash) = 32),
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    UNIQUE (user_id, name)
);

CREATE TABLE api_key_permissions (
    api_key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission GLOB '[a-z]*:[a-z]*'),
    PRIMARY KEY (api_key_id, permission)
) WITHOUT ROWID;

-- Connections: three tables of one shape (package store's Connections). ----
-- config holds the non-secret fields as a JSON object; secrets is the sealed
-- JSON object of the fields the plugin schema marks secret (NULL: none).

CREATE TABLE sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    plugin_id  TEXT NOT NULL CHECK (plugin_id GLOB 'database-?*'),
    config     TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
    secrets    BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE destinations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    plugin_id  TEXT NOT NULL CHECK (plugin_id GLOB 'storage-?*'),
    config     TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
    secrets    BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    plugin_id  TEXT NOT NULL CHECK (plugin_id GLOB 'notification-?*'),
    config     TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
    secrets    BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE encryption_profiles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '',
    -- The backup format the key is used with (DESIGN §3).
    algorithm   TEXT NOT NULL DEFAULT 'DBK1' CHECK (algorithm IN ('DBK1')),
    -- 32 random bytes, sealed.
    key_sealed  BLOB NOT NULL,
    -- Public fingerprint of the profile key, written into manifests and the
    -- recovery kit so a key file can be matched to the backups it opens.
    key_id      TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Jobs ---------------------------------------------------------------------

CREATE TABLE jobs (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    -- The storage prefix of the job's sets; fixed at creation so renaming a
    -- job does not orphan its backups.
    slug                  TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
    source_id             INTEGER NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
    -- all_databases = 1 backs up whatever the source lists at run time;
    -- otherwise databases is the non-empty JSON array of names chosen.
    all_databases         INTEGER NOT NULL DEFAULT 1 CHECK (all_databases IN (0, 1)),
    databases             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(databases) AND json_type(databases) = 'array'),
    -- Cron expression; NULL runs only when triggered by hand or API.
    schedule              TEXT,
    -- IANA zone the schedule and GFS buckets are read in; NULL follows the
    -- defaultTimezone setting.
    timezone              TEXT,
    compression           TEXT NOT NULL DEFAULT 'zstd' CHECK (compression IN ('zstd', 'gzip', 'brotli', 'none')),
    compression_level     INTEGER,
    -- NULL: sets are stored unencrypted.
    encryption_profile_id INTEGER REFERENCES encryption_profiles (id) ON DELETE RESTRICT,
    enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK (all_databases = 1 OR json_array_length(databases) > 0)
);
CREATE INDEX jobs_source ON jobs (source_id);
CREATE INDEX jobs_encryption_profile ON jobs (encryption_profile_id);

-- A job's destinations, each with its own retention policy (DESIGN §4).
CREATE TABLE job_destinations (
    job_id          INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    destination_id  INTEGER NOT NULL REFERENCES destinations (id) ON DELETE RESTRICT,
    position        INTEGER NOT NULL DEFAULT 0,
    retention       TEXT NOT NULL DEFAULT 'keep-all' CHECK (retention IN ('keep-all', 'simple', 'gfs')),
    keep_last       INTEGER CHECK (keep_last > 0),
    keep_days       INTEGER CHECK (keep_days > 0),
    keep_daily      INTEGER CHECK (keep_daily >= 0),
    keep_weekly     INTEGER CHECK (keep_weekly >= 0),
    keep_monthly    INTEGER CHECK (keep_monthly >= 0),
    keep_yearly     INTEGER CHECK (keep_yearly >= 0),
    PRIMARY KEY (job_id, destination_id),
    -- A policy names only the parameters its kind reads, and simple needs one.
    CHECK (retention <> 'keep-all' OR (keep_last IS NULL AND keep_days IS NULL AND keep_daily IS NULL
                                       AND keep_weekly IS NULL AND keep_monthly IS NULL AND keep_yearly IS NULL)),
    CHECK (retention <> 'simple' OR ((keep_last IS NOT NULL OR keep_days IS NOT NULL)
                                     AND keep_daily IS NULL AND keep_weekly IS NULL AND keep_monthly IS NULL AND keep_yearly IS NULL)),
    CHECK (retention <> 'gfs' OR keep_days IS NULL)
) WITHOUT ROWID;
-- "Is this destination used" on delete, without scanning every job.
CREATE INDEX job_destinations_destination ON job_destinations (destination_id);

CREATE TABLE job_notifications (
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE RESTRICT,
    on_success INTEGER NOT NULL DEFAULT 0 CHECK (on_success IN (0, 1)),
    on_failure INTEGER NOT NULL DEFAULT 1 CHECK (on_failure IN (0, 1)),
    on_partial INTEGER NOT NULL DEFAULT 1 CHECK (on_partial IN (0, 1)),
    PRIMARY KEY (job_id, channel_id),
    CHECK (on_success + on_failure + on_partial > 0)
) WITHOUT ROWID;
CREATE INDEX job_notifications_channel ON job_notifications (channel_id);

-- Runs ---------------------------------------------------------------------

CREATE TABLE executions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    type              TEXT NOT NULL CHECK (type IN ('backup', 'restore', 'verify')),
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'success', 'partial', 'failed', 'cancelled', 'interrupted')),
    trigger_type      TEXT NOT NULL CHECK (trigger_type IN ('schedule', 'manual', 'api')),
    -- History outlives the job: the name is copied, the reference cleared.
    job_id            INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    job_name          TEXT NOT NULL DEFAULT '',
    -- For restore and verify: the set read.
    backup_set_id     INTEGER REFERENCES backup_sets (id) ON DELETE SET NULL,
    triggered_by_user INTEGER REFERENCES users (id) ON DELETE SET NULL,
    triggered_by_key  INTEGER REFERENCES api_keys (id) ON DELETE SET NULL,
    -- Restore options and the like, as the service defines them.
    params            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    queued_at         TEXT NOT NULL,
    started_at        TEXT,
    finished_at       TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    bytes_done        INTEGER NOT NULL DEFAULT 0 CHECK (bytes_done >= 0),
    bytes_total       INTEGER NOT NULL DEFAULT 0 CHECK (bytes_total >= 0),
    stage             TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    -- A run is finished exactly when it has left pending/running.
    CHECK ((status IN ('pending', 'running')) = (finished_at IS NULL)),
    CHECK (status = 'pending' OR status = 'cancelled' OR started_at IS NOT NULL)
);
-- DESIGN §4: a job already pending or running is not enqueued twice. The
-- database enforces it, so two triggers racing cannot both win.
CREATE UNIQUE INDEX executions_one_active_backup_per_job
    ON executions (job_id) WHERE type = 'backup' AND status IN ('pending', 'running');
-- The queue: pending runs oldest first.
CREATE INDEX executions_pending_fifo ON executions (queued_at, id) WHERE status = 'pending';
-- A job's history, newest first; and the dashboard's recent runs.
CREATE INDEX executions_job_time ON executions (job_id, queued_at DESC);
CREATE INDEX executions_time ON executions (queued_at DESC);

CREATE TABLE execution_logs (
    id           INTEGER PRIMARY KEY,  -- rowid: the order lines were written
    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    -- 'core' or the plugin id that said it.
    origin       TEXT NOT NULL DEFAULT 'core',
    message      TEXT NOT NULL
);
CREATE INDEX execution_logs_execution ON execution_logs (execution_id, id);

-- One backup set per execution and destination (DESIGN §3).
CREATE TABLE backup_sets (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Sets live in storage: deleting the destination's configuration while
    -- sets are recorded on it would leave them unreachable from the UI.
    destination_id        INTEGER NOT NULL REFERENCES destinations (id) ON DELETE RESTRICT,
    job_id                INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    job_name              TEXT NOT NULL DEFAULT '',
    execution_id          INTEGER REFERENCES executions (id) ON DELETE SET NULL,
    -- Sets made with a profile need its key to restore: keep the profile.
    encryption_profile_id INTEGER REFERENCES encryption_profiles (id) ON DELETE RESTRICT,
    -- '<job-slug>/<UTC timestamp>_<execution id>/'
    prefix                TEXT NOT NULL,
    -- incomplete: no manifest yet (never listed as a backup).
    status                TEXT NOT NULL DEFAULT 'incomplete' CHECK (status IN ('incomplete', 'complete')),
    created_at            TEXT NOT NULL,
    size_bytes            INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    -- manifest.json as written to storage; NULL while incomplete.
    manifest              TEXT CHECK (manifest IS NULL OR json_valid(manifest)),
    locked                INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    verified_at           TEXT,
    UNIQUE (destination_id, prefix),
    CHECK (status = 'incomplete' OR manifest IS NOT NULL)
);
-- Retention reads a job's sets per destination by age.
CREATE INDEX backup_sets_job_destination_time ON backup_sets (job_id, destination_id, created_at);
CREATE INDEX backup_sets_encryption_profile ON backup_sets (encryption_profile_id);
CREATE INDEX backup_sets_execution ON backup_sets (execution_id);

-- Audit --------------------------------------------------------------------

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    -- Who: a user, an API key (and its owner), or the system (both NULL).
    -- Names are copied so the record survives the account's deletion.
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    api_key_id  INTEGER REFERENCES api_keys (id) ON DELETE SET NULL,
    actor       TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,  -- 'jobs.create', 'executions.run', 'backups.download', ...
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    -- What changed, secrets masked by the writer.
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_log_time ON audit_log (at);
CREATE INDEX audit_log_user_time ON audit_log (user_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
