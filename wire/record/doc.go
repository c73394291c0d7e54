// Package record converts the chain's stored records (the protobuf
// messages of wire/pb, as the state holds them) to the API's JSON forms
// (package wire), and names the state keys they are stored under.
//
// The node's API (internal/httpapi) and the Go client's proof checker
// (client/verify) share this one conversion: a client that verified the
// stored bytes against an app hash decodes them itself, exactly as the node
// would have, rather than trusting the node's JSON.
//
// Invariants: every function is total (a record with unknown enum values
// or malformed addresses converts without panicking); the key layout is
// the chain's (a test in internal/httpapi holds it to internal/protocol's);
// nothing here imports a package under internal/.
package record
