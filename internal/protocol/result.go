package protocol

import (
	"fmt"

	"github.com/provernet/provernet/wire"
)

// Attr is one key/value of an event.
type Attr struct {
	Key, Value string
	Index      bool // searchable in the node's transaction index
}

// indexed lists the attributes worth searching transactions and blocks by
// (the node's tx and block indexers keep only these); indexing costs the
// node work for every event, so amounts and nonces are not. The workload
// and prover attributes serve a workload's timeline and a prover's
// history (internal/httpapi, timeline.go and history.go). Index flags are
// not part of any hash: they change what a node can search, not the chain.
var indexed = map[string]bool{
	"tx.sender": true, "tx.for": true, "transfer.from": true, "transfer.to": true,
	"run.workload": true, "workload.id": true, "slot.workload": true, "slot.prover": true,
	"settle.workload": true, "excused.workload": true, "excused.prover": true,
	"challenge.workload": true, "challenge.prover": true,
	"slash.prover": true, "reinstate.prover": true, "vote_paid.voter": true,
}

// Event is something that happened, emitted to subscribers as an ABCI event.
type Event struct {
	Type  string
	Attrs []Attr
}

// Result is the outcome of checking or delivering one transaction.
type Result struct {
	Code   wire.Code
	Log    string
	Events []Event
	// Admitted: DeliverTx took the fee and the nonce (the transaction
	// passed admission), whether or not its messages then failed.
	Admitted bool
	// Critical: DeliverTx admitted it and every message is protocol-
	// critical (Critical).
	Critical bool
	// ProofInvalid: a node proof's bytes failed their verification (not a
	// cheaper check before it), the work a node's CheckTx spends on a
	// transaction it then refuses for free (internal/chain's strikes).
	ProofInvalid bool
}

// OK reports whether the transaction was accepted.
func (r Result) OK() bool { return r.Code == wire.CodeOK }

func reject(code wire.Code, format string, args ...any) Result {
	return Result{Code: code, Log: fmt.Sprintf(format, args...)}
}

func event(typ string, kv ...string) Event {
	e := Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, Attr{Key: kv[i], Value: kv[i+1], Index: indexed[typ+"."+kv[i]]})
	}
	return e
}

// withEvents appends evs to r's events.
func (r Result) withEvents(evs []Event) Result {
	r.Events = append(r.Events, evs...)
	return r
}
