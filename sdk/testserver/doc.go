// Package testserver finds the real server a test talks to: a PostgreSQL, a
// MariaDB, an S3 endpoint. Tests never mock the thing under test; they ask
// Resolve for a server and get, in order:
//
//  1. the address in the server's environment variable
//     (DBKEEP_TEST_POSTGRES_DSN, ...), for servers started by hand, by
//     `make test-services` or by CI;
//  2. a container started with testcontainers-go, when a Docker engine
//     answers and the server has a container recipe;
//  3. otherwise the test is skipped with the reason, except when CI=true,
//     where a missing server fails the test: CI can never pass by skipping.
package testserver
