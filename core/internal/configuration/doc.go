// Package configuration holds the business rules of what a person configures
// through the API: sources, destinations and notification channels (plugin
// connections), encryption profiles, jobs, settings, and the list of
// installed plugins.
//
// Handlers in package api decode a request and call a service here; a
// service checks the request against the rules (the plugin exists, is
// loaded and of the right kind; the configuration satisfies the plugin's
// schema and the plugin's own ValidateConfig; references exist; cron and
// time zones parse) and answers with views that never hold a secret. Bad
// input is a *spec.ValidationError naming every wrong field by its JSON
// path ("config.password", "destinations[1].retention.keepLast"), which the
// API turns into a 400 listing them. SQL lives in package store.
package configuration
