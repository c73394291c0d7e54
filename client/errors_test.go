package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestStatusErrors: a non-2xx JSON body becomes a *StatusError carrying
// the API's message and hint; a 404 also matches ErrNotFound, nothing
// else does; a body that is not JSON keeps its text.
func TestStatusErrors(t *testing.T) {
	n := newTestNode(t)
	n.handle("GET /v1/workloads/ab", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, wire.APIError{Message: "workload ab: not found", Code: wire.APINotFound, Hint: "list them"})
	})
	n.handle("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, wire.APIError{Message: "node unavailable", Hint: "is it running?"})
	})
	n.handle("GET /v1/supply", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("  upstream broke\n"))
	})
	c := n.client()
	ctx := context.Background()

	_, err := c.Workload(ctx, "ab")
	var se *StatusError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &se) || se.Status != http.StatusNotFound ||
		err.Error() != "workload ab: not found" || Hint(err) != "list them" || se.Code() != wire.APINotFound {
		t.Fatalf("404: %v (hint %q)", err, Hint(err))
	}
	if code, ok := APICodeOf(err); !ok || code != wire.APINotFound {
		t.Fatalf("404: code %q %v", code, ok)
	}
	_, err = c.Status(ctx)
	if errors.Is(err, ErrNotFound) || !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable ||
		err.Error() != "node unavailable" || Hint(err) != "is it running?" || errors.Is(err, ErrUnreachable) {
		t.Fatalf("503: %v (hint %q)", err, Hint(err))
	}
	_, err = c.Supply(ctx)
	if !errors.As(err, &se) || se.Status != http.StatusBadGateway || err.Error() != "HTTP 502: upstream broke" || Hint(err) != "" {
		t.Fatalf("502 without JSON: %v", err)
	}
	// A raw download reports alike.
	_, err = c.SealedResult(ctx, "ab", 0)
	if !errors.Is(err, ErrNotFound) || Hint(err) != "" {
		t.Fatalf("raw 404: %v", err)
	}
}

// TestUnreachable: no answer at all is ErrUnreachable, never ErrNotFound
// or a *StatusError.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = New(addr).Status(context.Background())
	var se *StatusError
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNotFound) || errors.As(err, &se) {
		t.Fatalf("closed port: %v", err)
	}
}

// TestRejectedAndFailed: a 422 broadcast is a *RejectedError with its
// result and stable code; a committed failure is a *FailedError; CodeOf
// finds either.
func TestRejectedAndFailed(t *testing.T) {
	n := newTestNode(t)
	n.handle("POST /v1/txs", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusUnprocessableEntity, wire.BroadcastResult{Hash: "AA", Code: uint32(wire.CodeWrongNonce),
			CodeName: wire.CodeWrongNonce.String(), Log: "nonce 3, want 4"})
	})
	res, err := n.client().Broadcast(context.Background(), []byte("tx"))
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Code() != wire.CodeWrongNonce || res == nil || res.Hash != "AA" {
		t.Fatalf("422: %v %+v", err, res)
	}
	if code, ok := CodeOf(fmtWrap(err)); !ok || code != wire.CodeWrongNonce {
		t.Fatalf("CodeOf(rejected) = %v %v", code, ok)
	}
	if TxError(&wire.TxResult{Code: 0}) != nil || TxError(nil) != nil {
		t.Fatal("TxError of a success is not nil")
	}
	err = TxError(&wire.TxResult{Hash: "BB", Height: 9, Code: uint32(wire.CodeInsufficientFunds), Log: "poor"})
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Code() != wire.CodeInsufficientFunds || failed.Result.Height != 9 {
		t.Fatalf("TxError: %v", err)
	}
	if code, ok := CodeOf(err); !ok || code != wire.CodeInsufficientFunds {
		t.Fatalf("CodeOf(failed) = %v %v", code, ok)
	}
	if _, ok := CodeOf(ErrNotFound); ok {
		t.Fatal("CodeOf found a code in ErrNotFound")
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

// TestAnswersAreBounded: an answer larger than the client reads is an
// error that says so (not a truncated document), and a huge error body is
// shown as one bounded line.
func TestAnswersAreBounded(t *testing.T) {
	n := newTestNode(t)
	big := strings.Repeat("x", maxAnswer+10)
	n.handle("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(big)) })
	n.handle("GET /v1/supply", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(strings.Repeat("e", 100_000)))
	})
	c := n.client()
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrAnswerTooLarge) {
		t.Fatalf("an oversize answer: %v", err)
	}
	_, err := c.Supply(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || len(err.Error()) > maxErrorText+3 {
		t.Fatalf("a huge error body: %T, %d bytes of text", err, len(err.Error()))
	}
}
