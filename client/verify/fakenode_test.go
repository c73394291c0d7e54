package verify

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/record"
)

// fakeNode is a hand-built chain behind the API's proof routes: an IAVL
// tree committed once per block (the state after block h is version h),
// headers whose app hash is the previous version's root, signed by
// validator sets the test chooses per height.
type fakeNode struct {
	t      testing.TB
	tree   *iavltree.Tree
	blocks map[int64]*lightBlock
	mu     sync.Mutex
	hits   map[int64]int // light blocks served, by height
	srv    *httptest.Server
}

// newFakeNode commits one block per element of writes (its key-value
// writes), and heads it with a header signed by sets[h] (the set of the
// last height given for later ones).
func newFakeNode(t testing.TB, sets map[int64][]crypto.PrivKey, writes []map[string]proto.Message) *fakeNode {
	t.Helper()
	n := &fakeNode{t: t, tree: iavltree.OpenMemory(), blocks: map[int64]*lightBlock{}, hits: map[int64]int{}}
	keysAt := func(h int64) []crypto.PrivKey {
		for ; h > 0; h-- {
			if ks, ok := sets[h]; ok {
				return ks
			}
		}
		t.Fatal("no validator set at or below the height")
		return nil
	}
	app := []byte{} // the app hash before the first block
	for i, w := range writes {
		h := int64(i + 1)
		ks := keysAt(h)
		n.blocks[h] = block(h, valSet(ks), valSet(keysAt(h+1)), ks, app)
		kv := n.tree.Working()
		for k, m := range w {
			b, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := kv.Set([]byte(k), b); err != nil {
				t.Fatal(err)
			}
		}
		hash, _, err := n.tree.Commit()
		if err != nil {
			t.Fatal(err)
		}
		app = hash
	}
	// One more header, carrying the last block's app hash.
	h := int64(len(writes) + 1)
	n.blocks[h] = block(h, valSet(keysAt(h)), valSet(keysAt(h+1)), keysAt(h), app)
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *fakeNode) latest() int64 { return int64(len(n.blocks)) }

func (n *fakeNode) client() *client.Client { return client.New(n.srv.URL) }

func (n *fakeNode) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	switch parts[1] {
	case "light":
		h := n.latest()
		if parts[2] != "latest" {
			h, _ = strconv.ParseInt(parts[2], 10, 64)
		}
		b := n.blocks[h]
		if b == nil {
			writeJSON(w, http.StatusNotFound, wire.APIError{Message: "no such height"})
			return
		}
		n.mu.Lock()
		n.hits[h]++
		n.mu.Unlock()
		sh, _ := cmtjson.Marshal(b.SignedHeader)
		vs, _ := cmtjson.Marshal(b.vals)
		writeJSON(w, http.StatusOK, wire.LightBlock{Height: h, SignedHeader: sh, ValidatorSet: vs})
	case "accounts", "provers", "workloads":
		n.serveProof(w, r, parts[1], parts[2])
	default:
		http.NotFound(w, r)
	}
}

func (n *fakeNode) serveProof(w http.ResponseWriter, r *http.Request, kind, id string) {
	var key []byte
	switch kind {
	case "workloads":
		raw, _ := hex.DecodeString(id)
		key = record.WorkloadKey(raw)
	default:
		a, err := address.Parse(id)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, wire.APIError{Message: err.Error()})
			return
		}
		key = record.AccountKey(a)
		if kind == "provers" {
			key = record.ProverKey(a)
		}
	}
	h, _ := strconv.ParseInt(r.URL.Query().Get("height"), 10, 64)
	writeJSON(w, http.StatusOK, map[string]any{"proof": n.proof(key, h)})
}

// proof is what the node would answer for key at version h.
func (n *fakeNode) proof(key []byte, h int64) *wire.Proof {
	snap, err := n.tree.At(h)
	if err != nil {
		n.t.Errorf("version %d: %v", h, err)
		return nil
	}
	v, err := snap.Get(key)
	if err != nil {
		n.t.Error(err)
	}
	cp, err := snap.Prove(key)
	if err != nil {
		n.t.Error(err)
	}
	data, err := cp.Marshal()
	if err != nil {
		n.t.Error(err)
	}
	return &wire.Proof{Height: h, Key: hex.EncodeToString(key), Exists: v != nil, Value: v,
		Ops: []wire.ProofOp{{Type: ProofOpType, Key: key, Data: data}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// rootOf is the trust root at height h of the fake chain.
func (n *fakeNode) rootOf(h int64) TrustRoot {
	return TrustRoot{Height: h, Hash: n.blocks[h].Hash(), Period: 7 * 24 * time.Hour}
}

func cmtjsonMarshal(v any) ([]byte, error) { return cmtjson.Marshal(v) }
