// Package eventstore is thidua's event store on NATS JetStream.
//
// All events live in one stream (subjects thidua.<kind>.<id>), which denies delete and
// purge. One command appends one commit: a single JetStream message that carries every
// event the command produced for one aggregate, guarded by the expected last subject
// sequence (optimistic concurrency) and de-duplicated by its idempotency key. Commands
// that touch several aggregates use an atomic batch. Every event records the hash of the
// aggregate's previous event, so that VerifyChains can detect tampering. Dossier files
// live in a JetStream object store, addressed by their SHA-256.
//
// The store never creates a consumer to load one aggregate: Load uses direct batch gets,
// and whole-stream reads (Read, Tail) use one ordered consumer.
package eventstore
