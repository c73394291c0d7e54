package client

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// runNode is a node a Run can be quoted and sent to; it keeps the last
// transaction broadcast.
func runNode(t *testing.T, key *Key, balance uint64) (*testNode, *[]byte) {
	n := newTestNode(t)
	n.json("/v1/status", wire.Status{ChainID: "quote-test"})
	n.json("/v1/accounts/"+key.Address(), wire.Account{Address: key.Address(), Balance: balance, Nonce: 3})
	n.json("/v1/params", wire.Params{FeePerByte: 2, FeePerMsg: 100, MaxInlineInput: 64})
	n.json("/v1/fee", wire.FeeQuote{Fee: 5000, MinDeadline: 10, Provers: 2})
	var sent []byte
	n.handle("POST /v1/txs", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Tx string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		sent, _ = base64.StdEncoding.DecodeString(body.Tx)
		writeJSON(w, http.StatusOK, wire.BroadcastResult{Hash: TxHash(sent)})
	})
	return n, &sent
}

func testRun() RunRequest {
	return RunRequest{Program: strings.Repeat("ab", 32), Cycles: 1000, Provers: 2, Recipient: "age1qqqq",
		Inputs: []RunInput{{Name: "in.json", Data: []byte(`{"n": 3}`)}}}
}

// TestQuoteRunIsWhatSubmitRunSends: the quoted transaction fee and
// deadline are exactly those of the Run SubmitRun then signs, whose
// deadline is the chain's minimum plus DefaultDeadlineSlack.
func TestQuoteRunIsWhatSubmitRunSends(t *testing.T) {
	key, err := GenerateKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	n, sent := runNode(t, key, 1_000_000)
	c := n.client()
	ctx := context.Background()
	q, err := c.QuoteRun(ctx, key, testRun())
	if err != nil {
		t.Fatal(err)
	}
	if q.Fee != 5000 || q.Balance != 1_000_000 || q.Deadline != 10+DefaultDeadlineSlack || q.TxFee < 100 || q.Total() != 5000+q.TxFee {
		t.Fatalf("quote %+v", q)
	}
	if n.count("POST /v1/txs") != 0 {
		t.Fatal("QuoteRun sent something")
	}
	sub, err := c.SubmitRun(ctx, key, testRun())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := txn.Decode(*sent)
	if err != nil {
		t.Fatal(err)
	}
	run := tx.Body.Messages[0].GetRun()
	if tx.Body.Fee != q.TxFee || run.Deadline != q.Deadline || tx.Body.Nonce != 3 || sub.Fee != q.Fee {
		t.Fatalf("sent fee %d deadline %d nonce %d; quoted %+v", tx.Body.Fee, run.Deadline, tx.Body.Nonce, q)
	}
	if want := hex.EncodeToString(wire.WorkloadID(address.FromPublicKey(key.PublicKey()), 3, 0)); sub.Workload != want {
		t.Fatalf("workload %s, want %s", sub.Workload, want)
	}
}

// TestRunQuoteCheck: a fee above the maximum and a balance short of the
// total are refused, each with its sentinel; SubmitRun refuses an
// over-maximum fee before sending.
func TestRunQuoteCheck(t *testing.T) {
	q := &RunQuote{FeeQuote: &wire.FeeQuote{Fee: 5000}, TxFee: 300, Balance: 5300}
	if err := q.Check(0); err != nil {
		t.Fatalf("exact balance: %v", err)
	}
	if err := q.Check(4999); !errors.Is(err, ErrOverMaxFee) {
		t.Fatalf("max fee: %v", err)
	}
	q.Balance--
	if err := q.Check(5000); !errors.Is(err, ErrCannotPay) {
		t.Fatalf("balance: %v", err)
	}
	key, _ := GenerateKey("bob")
	n, _ := runNode(t, key, 1_000_000)
	req := testRun()
	req.MaxFee = 4999
	if _, err := n.client().SubmitRun(context.Background(), key, req); !errors.Is(err, ErrOverMaxFee) || n.count("POST /v1/txs") != 0 {
		t.Fatalf("SubmitRun over MaxFee: %v, %d broadcasts", err, n.count("POST /v1/txs"))
	}
}

// TestCheckInputs: names the chain refuses are refused before anything is
// asked of the node.
func TestCheckInputs(t *testing.T) {
	key, _ := GenerateKey("carol")
	n, _ := runNode(t, key, 1_000_000)
	for name, ins := range map[string][]RunInput{
		"the proof's name":   {{Name: "Proof"}},
		"a path":             {{Name: "dir/in.json"}},
		"empty":              {{Name: ""}},
		"same file but case": {{Name: "in.json"}, {Name: "IN.json"}},
		"the very same name": {{Name: "a"}, {Name: "b"}, {Name: "a"}},
	} {
		if err := CheckInputs(ins); err == nil {
			t.Errorf("%s: accepted", name)
		}
		req := testRun()
		req.Inputs = ins
		if _, err := n.client().SubmitRun(context.Background(), key, req); err == nil {
			t.Errorf("%s: SubmitRun accepted", name)
		}
	}
	if n.count("GET /v1/params") != 0 {
		t.Fatal("SubmitRun asked the node before checking the names")
	}
	if err := CheckInputs([]RunInput{{Name: "a.json"}, {Name: "b.bin"}}); err != nil {
		t.Fatal(err)
	}
}
