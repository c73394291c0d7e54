// Package wire is the contract between a provernet node and everything that
// talks to it: the JSON documents of the HTTP API (/v1), the stable result
// codes of transactions, the ids a client computes before it sends
// (WorkloadID, ProgramID), and the names of workload and slot states.
//
// Its subpackages hold the rest of the contract: pb (the protobuf messages
// of transactions and state, generated from proto/), txn (the signed
// transaction envelope), address (bech32 account addresses) and seal (the
// sealed-result envelope a prover sends and a user opens).
//
// The server (internal/httpapi), the protocol and the Go client all import
// these packages, so they cannot drift apart; nothing here imports a
// package under internal/, so an SDK user links only this and age.
// Invariant: JSON fields and codes are only ever added, never renamed or
// renumbered.
package wire
