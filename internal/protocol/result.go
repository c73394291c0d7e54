package protocol

import "fmt"

// Attr is one key/value of an event.
type Attr struct{ Key, Value string }

// Event is something that happened, emitted to subscribers as an ABCI event.
type Event struct {
	Type  string
	Attrs []Attr
}

// Result is the outcome of checking or delivering one transaction.
type Result struct {
	Code   Code
	Log    string
	Events []Event
}

// OK reports whether the transaction was accepted.
func (r Result) OK() bool { return r.Code == CodeOK }

func reject(code Code, format string, args ...any) Result {
	return Result{Code: code, Log: fmt.Sprintf(format, args...)}
}

func event(typ string, kv ...string) Event {
	e := Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, Attr{kv[i], kv[i+1]})
	}
	return e
}
