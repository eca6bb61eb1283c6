package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Permission is one right, written "resource:action". The catalogue below is
// the only place permissions are defined: groups and API keys hold subsets
// of it, and every API route declares one of them (or is explicitly public).
type Permission string

// The catalogue. Adding a permission here needs no migration (the state
// database checks only the shape); removing one leaves stale grants that
// Valid rejects and the groups service drops.
const (
	UsersRead    Permission = "users:read"
	UsersWrite   Permission = "users:write"
	GroupsRead   Permission = "groups:read"
	GroupsWrite  Permission = "groups:write"
	APIKeysRead  Permission = "api-keys:read"
	APIKeysWrite Permission = "api-keys:write"
	AuditRead    Permission = "audit:read"

	SourcesRead        Permission = "sources:read"
	SourcesWrite       Permission = "sources:write"
	DestinationsRead   Permission = "destinations:read"
	DestinationsWrite  Permission = "destinations:write"
	NotificationsRead  Permission = "notifications:read"
	NotificationsWrite Permission = "notifications:write"

	JobsRead    Permission = "jobs:read"
	JobsWrite   Permission = "jobs:write"
	JobsExecute Permission = "jobs:execute"

	BackupsRead     Permission = "backups:read"
	BackupsDownload Permission = "backups:download"
	BackupsRestore  Permission = "backups:restore"
	BackupsDelete   Permission = "backups:delete"
	BackupsLock     Permission = "backups:lock"

	VaultRead  Permission = "vault:read"
	VaultWrite Permission = "vault:write"

	SettingsRead  Permission = "settings:read"
	SettingsWrite Permission = "settings:write"

	PluginsRead  Permission = "plugins:read"
	PluginsWrite Permission = "plugins:write"

	MetricsRead Permission = "metrics:read"
)

// PermissionInfo describes a permission for the people granting it.
type PermissionInfo struct {
	Permission  Permission `json:"permission"`
	Description string     `json:"description"`
}

// catalogue is every permission with what it allows, in display order.
var catalogue = []PermissionInfo{
	{UsersRead, "See user accounts"},
	{UsersWrite, "Create, change, disable and delete user accounts"},
	{GroupsRead, "See groups and the permissions they hold"},
	{GroupsWrite, "Create, change and delete groups and their members"},
	{APIKeysRead, "See API keys (never the key itself)"},
	{APIKeysWrite, "Create and revoke API keys"},
	{AuditRead, "Read the audit log"},
	{SourcesRead, "See database connections (secrets masked) and list their databases"},
	{SourcesWrite, "Create, change, test and delete database connections"},
	{DestinationsRead, "See storage destinations (secrets masked) and their usage"},
	{DestinationsWrite, "Create, change, test and delete storage destinations"},
	{NotificationsRead, "See notification channels (secrets masked)"},
	{NotificationsWrite, "Create, change, test and delete notification channels"},
	{JobsRead, "See backup jobs, their executions and logs"},
	{JobsWrite, "Create, change and delete backup jobs"},
	{JobsExecute, "Run jobs now and cancel executions"},
	{BackupsRead, "See backup sets and their manifests"},
	{BackupsDownload, "Download backup objects"},
	{BackupsRestore, "Restore a backup into a database"},
	{BackupsDelete, "Delete backup sets"},
	{BackupsLock, "Lock and unlock backup sets against retention"},
	{VaultRead, "See encryption profiles (never their keys)"},
	{VaultWrite, "Create and delete encryption profiles, download recovery kits"},
	{SettingsRead, "See server settings"},
	{SettingsWrite, "Change server settings"},
	{PluginsRead, "See installed plugins, their schemas and health"},
	{PluginsWrite, "Install, update and remove plugins"},
	{MetricsRead, "Scrape /metrics: request counts and latency, plugin health, execution counts"},
}

// Catalogue returns every permission with its description, in display order.
func Catalogue() []PermissionInfo { return slices.Clone(catalogue) }

// All returns every permission: what the built-in admin group holds.
func All() []Permission {
	all := make([]Permission, len(catalogue))
	for i, p := range catalogue {
		all[i] = p.Permission
	}
	return all
}

// Valid reports whether p is in the catalogue.
func (p Permission) Valid() bool {
	return slices.ContainsFunc(catalogue, func(i PermissionInfo) bool { return i.Permission == p })
}

// ParsePermissions checks names against the catalogue and returns them as
// a sorted set without duplicates. The error names every unknown one.
func ParsePermissions(names []string) ([]Permission, error) {
	var unknown []string
	set := make([]Permission, 0, len(names))
	for _, n := range names {
		p := Permission(n)
		if !p.Valid() {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		set = append(set, p)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown permission %s", strings.Join(unknown, ", "))
	}
	slices.Sort(set)
	return slices.Compact(set), nil
}
