// Package api is the JSON API under /api/v1: the route table, where every
// route declares the permission it needs (or that it is public), the
// response envelope, error mapping, strict JSON decoding and pagination.
//
// Handlers are thin: authenticate (done once by the guard every route gets),
// decode and validate the request, call a service, answer in the envelope.
// Business rules live in the services (packages auth, configuration, ...),
// SQL in package store.
package api
