package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/provernet/provernet/wire/txn"
)

// fakeNode answers what SubmitRun asks and, like a real node whose
// unreferenced-upload quota is full, refuses a blob (507) until a
// transaction naming it has been broadcast.
type fakeNode struct {
	mu       sync.Mutex
	calls    []string
	named    map[string]bool // blob hashes named by broadcast Runs
	uploaded map[string][]byte
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	switch {
	case r.URL.Path == "/v1/status":
		json.NewEncoder(w).Encode(map[string]any{"chain_id": "test"})
	case strings.HasPrefix(r.URL.Path, "/v1/accounts/"):
		json.NewEncoder(w).Encode(map[string]any{"nonce": 0})
	case r.URL.Path == "/v1/params":
		json.NewEncoder(w).Encode(map[string]any{"fee_per_byte": 1, "fee_per_msg": 100, "max_inline_input": 64})
	case r.URL.Path == "/v1/fee":
		json.NewEncoder(w).Encode(map[string]any{"fee": 1000, "min_deadline": 10})
	case r.URL.Path == "/v1/txs" && r.Method == http.MethodPost:
		var body struct{ Tx string }
		json.NewDecoder(r.Body).Decode(&body)
		raw, _ := base64.StdEncoding.DecodeString(body.Tx)
		tx, err := txn.Decode(raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range tx.Body.Messages {
			for _, in := range m.GetRun().GetInputs() {
				if len(in.Sha256) > 0 {
					f.named[hex.EncodeToString(in.Sha256)] = true
				}
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"hash": "AB"})
	case r.URL.Path == "/v1/blobs" && r.Method == http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if !f.named[h] {
			http.Error(w, "quota of unreferenced uploads is full", http.StatusInsufficientStorage)
			return
		}
		f.uploaded[h] = b
		json.NewEncoder(w).Encode(map[string]any{"sha256": h, "size": len(b)})
	default:
		http.NotFound(w, r)
	}
}

// TestSubmitRunUploadsAfterTheRun: a large input is named by hash in the
// Run and uploaded once the Run is sent, so a node whose quota of
// unreferenced uploads is full (filled by anyone) still takes it.
func TestSubmitRunUploadsAfterTheRun(t *testing.T) {
	node := &fakeNode{named: map[string]bool{}, uploaded: map[string][]byte{}}
	srv := httptest.NewServer(node)
	defer srv.Close()
	key, err := GenerateKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("input "), 100)
	prog := hex.EncodeToString(make([]byte, 32))
	sub, err := New(srv.URL).SubmitRun(context.Background(), key, RunRequest{Program: prog, Cycles: 1000, Provers: 1,
		Recipient: "age1qqqq", Inputs: []RunInput{{Name: "small.json", Data: []byte("{}")}, {Name: "big.bin", Data: big}}})
	if err != nil {
		t.Fatalf("SubmitRun: %v (calls %v)", err, node.calls)
	}
	sum := sha256.Sum256(big)
	if got := node.uploaded[hex.EncodeToString(sum[:])]; !bytes.Equal(got, big) {
		t.Fatalf("the large input was not uploaded after the Run (calls %v)", node.calls)
	}
	post, put := -1, -1
	for i, c := range node.calls {
		switch c {
		case "POST /v1/txs":
			post = i
		case "PUT /v1/blobs":
			put = i
		}
	}
	if post < 0 || put < post {
		t.Fatalf("upload at call %d, Run at %d: %v", put, post, node.calls)
	}
	if sub.Workload == "" {
		t.Fatal("no workload id")
	}
}
