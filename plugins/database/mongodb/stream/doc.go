// Package stream is the byte format of the MongoDB plugin's native dumps: a
// magic and version, then records, each one kind byte followed by one BSON
// document (whose own little-endian int32 prefix is its length). A dump is
// written and read one record at a time, so neither side ever holds more than
// one document, whatever the size of the database.
//
// The layout, byte by byte, is specified in docs/format.md under "MongoDB
// native stream"; Writer and Reader are its only implementation.
//
// Order of records in a stream:
//
//	Header
//	( Collection  Document*  Index*  CollectionEnd )*
//	View*
//	Trailer
//
// The trailer repeats the counts, so a stream cut at a record boundary is
// detected, and nothing may follow it.
package stream
