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

// indexed lists the attributes worth searching transactions by; indexing
// costs the node work for every transaction, so amounts and nonces are not.
var indexed = map[string]bool{"tx.sender": true, "transfer.from": true, "transfer.to": true}

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
