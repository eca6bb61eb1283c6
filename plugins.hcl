# Which plugins the dbkeep core loads, from where, and how they are trusted.
# Read by `dbkeep serve` and `dbkeep plugins ...` (--config, or the
# DBKEEP_PLUGINS_CONFIG environment variable; default ./plugins.hcl).

# Directory holding the dbkeep-<kind>-<name> binaries. A relative path is
# relative to this file, not to the working directory.
plugin_dir = "bin/plugins"

trust {
  # "pinned": a binary runs only when its SHA-256 equals the sum pinned in
  # plugins.lock.hcl (beside this file, written by `dbkeep plugins lock` and
  # `dbkeep plugins install`). A binary that does not match is never executed,
  # not even to describe itself. It is the only policy.
  policy = "pinned"
}

# Switch a plugin off without removing its binary:
#
# plugin "storage-local" {
#   enabled = false
# }
