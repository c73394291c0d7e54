package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/provernet/provernet/wire"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound matches a 404 answer: no such account, transaction,
	// block, program, prover or workload.
	ErrNotFound = errors.New("not found")
	// ErrUnreachable wraps a failure to reach the node at all (refused,
	// DNS, timeout): no answer came back.
	ErrUnreachable = errors.New("failed to reach the node")
	// ErrNoResult is returned when there is no result to open: a slot
	// without one, or no proof among a workload's pending results.
	ErrNoResult = errors.New("no result to open")
	// ErrHeaderMismatch is returned for a sealed result whose header does
	// not name the workload, slot and prover it was served for: anyone can
	// seal a file to a user's recipient, or copy another slot's file.
	ErrHeaderMismatch = errors.New("the result's header names another workload, slot or prover")
	// ErrAnswerTooLarge: the node answered more than the client reads for
	// that kind of request.
	ErrAnswerTooLarge = errors.New("the node's answer is too large")
)

// Transient reports whether err may pass by itself: the node could not be
// reached, or answered with a server error (5xx). Callers that poll retry
// these; anything else (a bad request, a refused transaction) will not
// change by asking again.
func Transient(err error) bool {
	var se *StatusError
	return errors.Is(err, ErrUnreachable) || errors.As(err, &se) && se.Status >= 500
}

// StatusError is a non-2xx answer of the node's API, with the message and
// hint of its wire.APIError body. A 404 matches ErrNotFound.
type StatusError struct {
	Status int           // the HTTP status
	API    wire.APIError // the decoded body; empty if it was not JSON
	Body   []byte        // the raw body
}

func (e *StatusError) Error() string {
	msg := e.API.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d: %s", e.Status, bytes.TrimSpace(e.Body))
	}
	if len(msg) > maxErrorText { // a node's answer, shown to a person: keep it a line
		msg = msg[:maxErrorText] + "..."
	}
	return msg
}

// maxErrorText bounds how much of a node's error answer Error shows.
const maxErrorText = 512

// Is makes a 404 match ErrNotFound.
func (e *StatusError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// statusErr turns a non-2xx answer into a *StatusError, or returns nil.
func statusErr(status int, body []byte) error {
	if status/100 == 2 {
		return nil
	}
	se := &StatusError{Status: status, Body: body}
	_ = json.Unmarshal(body, &se.API)
	return se
}

// Code is the answer's stable error code (wire.APICode; docs/API.md,
// "Errors"), empty if the body was not an APIError. A 422 from a broadcast
// is a *RejectedError, not a StatusError.
func (e *StatusError) Code() wire.APICode { return e.API.Code }

// APICodeOf is the API error code of a *StatusError in err's chain
// (wire.APIRejected for a *RejectedError), and whether there was one.
func APICodeOf(err error) (wire.APICode, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.API.Code != "" {
		return se.API.Code, true
	}
	var rej *RejectedError
	if errors.As(err, &rej) {
		return wire.APIRejected, true
	}
	return "", false
}

// Hint returns the API's hint for an error, if it gave one.
func Hint(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return se.API.Hint
	}
	return ""
}

// RejectedError is a transaction the mempool refused, with its stable code.
type RejectedError struct{ Result wire.BroadcastResult }

func (e *RejectedError) Error() string {
	return fmt.Sprintf("transaction rejected (code %d %s): %s", e.Result.Code, e.Result.CodeName, e.Result.Log)
}

// Code is the rejection's stable result code.
func (e *RejectedError) Code() wire.Code { return wire.Code(e.Result.Code) }

// FailedError is a transaction that was committed in a block but failed
// there (a non-zero code): its messages had no effect, its fee was paid.
type FailedError struct{ Result wire.TxResult }

func (e *FailedError) Error() string {
	return fmt.Sprintf("transaction %s failed in block %d (code %d %s): %s",
		e.Result.Hash, e.Result.Height, e.Result.Code, e.Result.CodeName, e.Result.Log)
}

// Code is the failure's stable result code.
func (e *FailedError) Code() wire.Code { return wire.Code(e.Result.Code) }

// CodeOf is the result code of a *RejectedError or *FailedError in err's
// chain, and whether there was one.
func CodeOf(err error) (wire.Code, bool) {
	var rej *RejectedError
	if errors.As(err, &rej) {
		return rej.Code(), true
	}
	var failed *FailedError
	if errors.As(err, &failed) {
		return failed.Code(), true
	}
	return 0, false
}

// TxError is a *FailedError for a committed transaction that failed, or
// nil for one that succeeded.
func TxError(r *wire.TxResult) error {
	if r == nil || r.Code == uint32(wire.CodeOK) {
		return nil
	}
	return &FailedError{Result: *r}
}
