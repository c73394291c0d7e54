package verify

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/cometbft/cometbft/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

// TestCheckProofBadInputs feeds checkProof a real proof and hand-made
// corruptions of it: only the genuine ones verify.
func TestCheckProofBadInputs(t *testing.T) {
	alice, bob, carol := address.Address{1}, address.Address{2}, address.Address{3}
	ka, kb, kc := record.AccountKey(alice), record.AccountKey(bob), record.AccountKey(carol)
	n := newFakeNode(t, map[int64][]crypto.PrivKey{1: keys(0, 1)}, []map[string]proto.Message{
		{string(ka): &pb.Account{Balance: 1}, string(kb): &pb.Account{Balance: 2}},
	})
	snap, err := n.tree.At(1)
	if err != nil {
		t.Fatal(err)
	}
	root := snap.Hash()
	good := func() *wire.Proof { return n.proof(ka, 1) }
	cases := []struct {
		name  string
		p     func() *wire.Proof
		key   []byte
		root  []byte
		valid bool
	}{
		{"genuine", good, ka, root, true},
		{"genuine absence", func() *wire.Proof { return n.proof(kc, 1) }, kc, root, true},
		{"another root", good, ka, append([]byte{}, kb...), false},
		{"nil", func() *wire.Proof { return nil }, ka, root, false},
		{"no operations", func() *wire.Proof { p := good(); p.Ops = nil; return p }, ka, root, false},
		{"two operations", func() *wire.Proof { p := good(); p.Ops = append(p.Ops, p.Ops[0]); return p }, ka, root, false},
		{"other type", func() *wire.Proof { p := good(); p.Ops[0].Type = "ics23:simple"; return p }, ka, root, false},
		{"truncated", func() *wire.Proof { p := good(); p.Ops[0].Data = p.Ops[0].Data[:len(p.Ops[0].Data)/2]; return p }, ka, root, false},
		{"garbage", func() *wire.Proof { p := good(); p.Ops[0].Data = []byte{0xff, 0xff, 0xff}; return p }, ka, root, false},
		{"empty data", func() *wire.Proof { p := good(); p.Ops[0].Data = nil; return p }, ka, root, false},
		{"wrong key asked", good, kb, root, false},
		{"op names the asked key, proof is another's", func() *wire.Proof {
			p := n.proof(kb, 1)
			p.Ops[0].Key, p.Key = ka, good().Key
			return p
		}, ka, root, false},
		{"value of another record", func() *wire.Proof { p := good(); p.Value = n.proof(kb, 1).Value; return p }, ka, root, false},
		{"value altered", func() *wire.Proof { p := good(); p.Value = append(p.Value, 0); return p }, ka, root, false},
		{"present claimed absent", func() *wire.Proof { p := good(); p.Exists, p.Value = false, nil; return p }, ka, root, false},
		{"absent claimed present", func() *wire.Proof { p := n.proof(kc, 1); p.Exists, p.Value = true, []byte{8, 1}; return p }, kc, root, false},
		{"absence with a value", func() *wire.Proof { p := n.proof(kc, 1); p.Value = []byte{8, 1}; return p }, kc, root, false},
		{"answer names another key", func() *wire.Proof { p := good(); p.Key = "00"; return p }, ka, root, false},
	}
	for _, tc := range cases {
		err := checkProof(tc.p(), tc.key, tc.root)
		if tc.valid != (err == nil) || (err != nil && !errors.Is(err, ErrProof)) {
			t.Errorf("%s: %v (want valid %v)", tc.name, err, tc.valid)
		}
	}
}

// FuzzCheckProof: any proof JSON is an error or a verification, never a
// panic; and nothing but the genuine proof verifies the genuine key.
func FuzzCheckProof(f *testing.F) {
	ka := record.AccountKey(address.Address{1})
	n := newFakeNode(f, map[int64][]crypto.PrivKey{1: keys(0, 1)}, []map[string]proto.Message{
		{string(ka): &pb.Account{Balance: 1}},
	})
	snap, _ := n.tree.At(1)
	root := snap.Hash()
	genuine, _ := json.Marshal(n.proof(ka, 1))
	f.Add(genuine)
	f.Add([]byte(`{"ops":[{"type":"ics23:iavl","key":"YWNjdC8B","data":"CgA="}]}`))
	f.Add([]byte(`{"exists":true,"ops":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p wire.Proof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if err := checkProof(&p, ka, root); err == nil {
			want := n.proof(ka, 1)
			if !p.Exists || string(p.Value) != string(want.Value) {
				t.Fatalf("verified a value that is not the genuine one: %+v", p)
			}
		}
	})
}

// FuzzDecodeLightBlock: any /v1/light answer decodes or is an ErrHeader,
// never a panic.
func FuzzDecodeLightBlock(f *testing.F) {
	n := newFakeNode(f, map[int64][]crypto.PrivKey{1: keys(0, 2)}, emptyBlocks(1))
	b := n.blocks[1]
	genuine, _ := json.Marshal(mustLight(b))
	f.Add(genuine)
	f.Add([]byte(`{"height":1,"signed_header":{},"validator_set":{}}`))
	f.Add([]byte(`{"signed_header":{"header":null,"commit":{"signatures":[{}]}},"validator_set":{"validators":[null]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var lb wire.LightBlock
		if json.Unmarshal(data, &lb) != nil {
			return
		}
		if _, err := decodeLightBlock(&lb, 0); err != nil && !errors.Is(err, ErrHeader) {
			t.Fatalf("error without ErrHeader: %v", err)
		}
	})
}

func mustLight(b *lightBlock) wire.LightBlock {
	sh, err := cmtjsonMarshal(b.SignedHeader)
	if err != nil {
		panic(err)
	}
	vs, err := cmtjsonMarshal(b.vals)
	if err != nil {
		panic(err)
	}
	return wire.LightBlock{Height: b.Height, SignedHeader: sh, ValidatorSet: vs}
}
