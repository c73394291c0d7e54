package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

const testChainID = "provernet-test-1"

// fixture is a store with a genesis applied: funded accounts and one
// validator with a VRF key. Keys are derived from fixed seeds so that two
// fixtures built with the same arguments hold the same state.
type fixture struct {
	tree      *iavltree.Tree
	kv        store.KV
	env       protocol.Env
	keys      []ed25519.PrivateKey
	addrs     []address.Address
	valAddr   []byte
	vrfSecret []byte
	vrfPublic []byte
	seed      []byte
	total     uint64
}

func accountKey(i int) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize))
}

func addrOf(k ed25519.PrivateKey) address.Address {
	return address.FromPublicKey(k.Public().(ed25519.PublicKey))
}

// newFixture funds one account per balance.
func newFixture(t testing.TB, params protocol.Params, balances ...uint64) *fixture {
	t.Helper()
	secret, public, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{0x5a}, vrf.SecretKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		tree:      iavltree.OpenMemory(),
		valAddr:   bytes.Repeat([]byte{0xaa}, 20),
		vrfSecret: secret,
		vrfPublic: public,
		seed:      bytes.Repeat([]byte{0x42}, 32),
	}
	g := protocol.Genesis{
		Params:     params,
		BeaconSeed: f.seed,
		Validators: []protocol.GenesisValidator{{Name: "v0", Address: f.valAddr, VRFPublicKey: public}},
	}
	for i, b := range balances {
		k := accountKey(i)
		f.keys = append(f.keys, k)
		f.addrs = append(f.addrs, addrOf(k))
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: addrOf(k), Balance: b})
		f.total += b
	}
	f.kv = f.tree.Working()
	if err := protocol.InitGenesis(f.kv, testChainID, &g); err != nil {
		t.Fatal(err)
	}
	f.env = protocol.Env{ChainID: testChainID, Height: 1, Params: params}
	return f
}

func transferMsg(to []byte, amount uint64) *pb.Msg {
	return &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to, Amount: amount}}}
}

// sign signs a body with an explicit fee.
func sign(t testing.TB, key ed25519.PrivateKey, body *pb.TxBody) []byte {
	t.Helper()
	raw, err := txn.Sign(key, body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signMin signs msgs with the smallest fee params accept for the result.
func signMin(t testing.TB, p protocol.Params, key ed25519.PrivateKey, nonce uint64, msgs ...*pb.Msg) []byte {
	t.Helper()
	body := &pb.TxBody{ChainId: testChainID, Nonce: nonce, Messages: msgs}
	for i := 0; i < 8; i++ {
		raw := sign(t, key, body)
		min := p.MinFee(len(raw), msgs)
		if body.Fee == min {
			return raw
		}
		if body.Fee > min && i > 0 {
			return raw
		}
		body.Fee = min
	}
	t.Fatal("fee did not converge")
	return nil
}

// feeOf decodes the fee a signed transaction offers.
func feeOf(t testing.TB, raw []byte) uint64 {
	t.Helper()
	tx, err := txn.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tx.Body.Fee
}

func account(t testing.TB, r store.Reader, a address.Address) *pb.Account {
	t.Helper()
	acct, err := protocol.GetAccount(r, a)
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

func supply(t testing.TB, r store.Reader) *pb.Supply {
	t.Helper()
	s, err := protocol.GetSupply(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func deliver(t testing.TB, f *fixture, raw []byte) protocol.Result {
	t.Helper()
	res, err := protocol.DeliverTx(f.kv, f.env, raw)
	if err != nil {
		t.Fatalf("DeliverTx returned a Go error: %v", err)
	}
	return res
}

func mustSupply(t testing.TB, r store.Reader) {
	t.Helper()
	if err := protocol.CheckSupply(r); err != nil {
		t.Fatal(err)
	}
}

// otherAddr is an address no genesis account holds.
func otherAddr(b byte) address.Address {
	var a address.Address
	for i := range a {
		a[i] = b
	}
	return a
}

func TestGenesisState(t *testing.T) {
	f := newFixture(t, protocol.DefaultParams(), 1000, 2000, 3000)
	for i, want := range []uint64{1000, 2000, 3000} {
		if a := account(t, f.kv, f.addrs[i]); a.Balance != want || a.Nonce != 0 {
			t.Errorf("account %d: balance %d nonce %d, want %d 0", i, a.Balance, a.Nonce, want)
		}
	}
	if s := supply(t, f.kv); s.Genesis != 6000 || s.Burned != 0 || s.Minted != 0 {
		t.Errorf("supply %v, want genesis 6000", s)
	}
	if id, _ := protocol.GetChainID(f.kv); id != testChainID {
		t.Errorf("chain id %q", id)
	}
	if p, err := protocol.GetParams(f.kv); err != nil || !reflect.DeepEqual(p, protocol.DefaultParams()) {
		t.Errorf("params %+v %v", p, err)
	}
	if s, err := protocol.Seed(f.kv); err != nil || !bytes.Equal(s, f.seed) {
		t.Errorf("seed %x %v", s, err)
	}
	if k, err := protocol.VRFKey(f.kv, f.valAddr); err != nil || !bytes.Equal(k, f.vrfPublic) {
		t.Errorf("vrf key %x %v", k, err)
	}
	mustSupply(t, f.kv)
}

// TestCheckTxRejections checks every rejection code CheckTx gives, and that
// a rejected transaction leaves the state exactly as it was.
func TestCheckTxRejections(t *testing.T) {
	const fixedFee = 5_000
	def := protocol.DefaultParams()
	small := def
	small.MaxTxBytes = 300

	type prepared struct {
		f      *fixture
		raw    []byte
		sender address.Address
	}
	cases := []struct {
		name    string
		code    wire.Code
		params  protocol.Params
		balance uint64 // of account 0, the sender
		build   func(t *testing.T, f *fixture) []byte
	}{
		{"garbage", wire.CodeMalformed, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return []byte("garbage \xff\xff\xff not a transaction")
		}},
		{"empty", wire.CodeMalformed, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return []byte{}
		}},
		{"truncated", wire.CodeMalformed, def, 1e9, func(t *testing.T, f *fixture) []byte {
			raw := signMin(t, def, f.keys[0], 0, transferMsg(f.addrs[1][:], 10))
			return raw[:len(raw)/2]
		}},
		{"oversize memo", wire.CodeOversize, small, 1e9, func(t *testing.T, f *fixture) []byte {
			raw := sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: 1e6, Memo: strings.Repeat("m", 400),
				Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 10)}})
			if uint64(len(raw)) <= small.MaxTxBytes {
				t.Fatalf("tx is only %d bytes", len(raw))
			}
			return raw
		}},
		{"wrong chain id", wire.CodeWrongChainID, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: "other-chain", Fee: fixedFee,
				Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 10)}})
		}},
		{"flipped signature", wire.CodeBadSignature, def, 1e9, func(t *testing.T, f *fixture) []byte {
			var wire pb.Tx
			if err := proto.Unmarshal(signMin(t, def, f.keys[0], 0, transferMsg(f.addrs[1][:], 10)), &wire); err != nil {
				t.Fatal(err)
			}
			wire.Signature[7] ^= 0x10
			b, err := proto.Marshal(&wire)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"nonce from the future", wire.CodeWrongNonce, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return signMin(t, def, f.keys[0], 5, transferMsg(f.addrs[1][:], 10))
		}},
		{"replayed nonce", wire.CodeWrongNonce, def, 1e9, func(t *testing.T, f *fixture) []byte {
			raw := signMin(t, def, f.keys[0], 0, transferMsg(f.addrs[1][:], 10))
			if res := deliver(t, f, raw); !res.OK() {
				t.Fatalf("first use of nonce 0: %v %s", res.Code, res.Log)
			}
			return raw
		}},
		{"fee too low", wire.CodeFeeTooLow, def, 1e9, func(t *testing.T, f *fixture) []byte {
			raw := signMin(t, def, f.keys[0], 0, transferMsg(f.addrs[1][:], 10))
			body := &pb.TxBody{ChainId: testChainID, Fee: feeOf(t, raw) - 1, Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 10)}}
			low := sign(t, f.keys[0], body)
			if len(low) != len(raw) {
				t.Fatalf("lowering the fee by one changed the size %d -> %d", len(raw), len(low))
			}
			return low
		}},
		{"fee above balance", wire.CodeInsufficientFunds, def, fixedFee - 1, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee, Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 1)}})
		}},
		{"amount above balance after fee", wire.CodeInsufficientFunds, def, fixedFee + 499, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee, Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 500)}})
		}},
		{"unknown message", wire.CodeUnknownMessage, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee, Messages: []*pb.Msg{{}}})
		}},
		{"no messages", wire.CodeNoMessages, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee})
		}},
		{"19-byte recipient", wire.CodeInvalidMessage, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee, Messages: []*pb.Msg{transferMsg(f.addrs[1][:19], 10)}})
		}},
		{"zero amount", wire.CodeInvalidMessage, def, 1e9, func(t *testing.T, f *fixture) []byte {
			return sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fixedFee, Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 0)}})
		}},
		{"beacon entry", wire.CodeNotAllowed, def, 1e9, func(t *testing.T, f *fixture) []byte {
			raw, err := protocol.ProposeBeacon(f.kv, 1, f.valAddr, f.vrfSecret)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.params, c.balance, 1000)
			raw := c.build(t, f)
			before := f.tree.WorkingHash()
			sender := account(t, f.kv, f.addrs[0])
			res, err := protocol.CheckTx(f.kv, f.env, raw)
			if err != nil {
				t.Fatalf("CheckTx returned a Go error: %v", err)
			}
			if res.Code != c.code {
				t.Fatalf("code %d (%v), want %d (%v); log: %s", res.Code, res.Code, c.code, c.code, res.Log)
			}
			if res.Log == "" {
				t.Error("rejection has an empty log")
			}
			if len(res.Events) != 0 {
				t.Errorf("rejection emitted events %v", res.Events)
			}
			if after := f.tree.WorkingHash(); !bytes.Equal(before, after) {
				t.Errorf("rejected tx changed the state hash %x -> %x", before, after)
			}
			if got := account(t, f.kv, f.addrs[0]); !proto.Equal(got, sender) {
				t.Errorf("sender changed from %v to %v", sender, got)
			}
			mustSupply(t, f.kv)
		})
	}
}

// TestCheckTxAcceptsAndRecords is the counterpart of the rejections: an
// accepted transaction writes its effects so the sender's next one is
// checked against them.
func TestCheckTxAcceptsAndRecords(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1_000_000, 0)
	before := f.tree.WorkingHash()
	raw := signMin(t, p, f.keys[0], 0, transferMsg(f.addrs[1][:], 700))
	fee := feeOf(t, raw)
	res, err := protocol.CheckTx(f.kv, f.env, raw)
	if err != nil || !res.OK() {
		t.Fatalf("CheckTx: %v %v %s", err, res.Code, res.Log)
	}
	if bytes.Equal(before, f.tree.WorkingHash()) {
		t.Fatal("an accepted tx left the state hash unchanged")
	}
	if a := account(t, f.kv, f.addrs[0]); a.Nonce != 1 || a.Balance != 1_000_000-700-fee {
		t.Fatalf("sender %v, want nonce 1 balance %d", a, 1_000_000-700-fee)
	}
	if b := account(t, f.kv, f.addrs[1]); b.Balance != 700 {
		t.Fatalf("recipient %v, want 700", b)
	}
	// The same nonce again is now a replay, the next one is fine.
	if res, _ := protocol.CheckTx(f.kv, f.env, raw); res.Code != wire.CodeWrongNonce {
		t.Fatalf("replay: %v", res.Code)
	}
	next := signMin(t, p, f.keys[0], 1, transferMsg(f.addrs[1][:], 1))
	if res, _ := protocol.CheckTx(f.kv, f.env, next); !res.OK() {
		t.Fatalf("nonce 1 after 0: %v %s", res.Code, res.Log)
	}
	mustSupply(t, f.kv)
}

// TestDeliverTxFailedMessageChargesFee: a transaction that passes admission
// pays its fee and uses its nonce even though its message fails, and the
// message has no effect.
func TestDeliverTxFailedMessageChargesFee(t *testing.T) {
	const fee = 5_000
	f := newFixture(t, protocol.DefaultParams(), fee+499, 1000)
	raw := sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: fee, Messages: []*pb.Msg{transferMsg(f.addrs[1][:], 500)}})

	// CheckTx turns it away outright...
	if res, _ := protocol.CheckTx(store.NewCache(f.kv), f.env, raw); res.Code != wire.CodeInsufficientFunds {
		t.Fatalf("CheckTx: %v", res.Code)
	}
	// ...but once in a block it costs the fee.
	res := deliver(t, f, raw)
	if res.Code != wire.CodeInsufficientFunds || !strings.Contains(res.Log, "message 0") {
		t.Fatalf("DeliverTx: %v %q", res.Code, res.Log)
	}
	if a := account(t, f.kv, f.addrs[0]); a.Balance != 499 || a.Nonce != 1 {
		t.Fatalf("sender %v, want balance 499 nonce 1", a)
	}
	if b := account(t, f.kv, f.addrs[1]); b.Balance != 1000 || b.Nonce != 0 {
		t.Fatalf("recipient %v, want untouched 1000", b)
	}
	if s := supply(t, f.kv); s.Burned != fee || s.Genesis != fee+499+1000 {
		t.Fatalf("supply %v, want %d burned", s, fee)
	}
	mustSupply(t, f.kv)
	// The nonce is used: delivering the same bytes again is a replay.
	before := f.tree.WorkingHash()
	if res := deliver(t, f, raw); res.Code != wire.CodeWrongNonce {
		t.Fatalf("redelivery: %v", res.Code)
	}
	if !bytes.Equal(before, f.tree.WorkingHash()) {
		t.Fatal("a transaction rejected at admission changed the state")
	}
}

// TestDeliverTxMessagesAllOrNothing: when a later message fails, none of
// the earlier ones apply; when all succeed, all apply.
func TestDeliverTxMessagesAllOrNothing(t *testing.T) {
	p := protocol.DefaultParams()
	for _, c := range []struct {
		name   string
		second *pb.Msg
		code   wire.Code
	}{
		{"second overdraws", transferMsg(otherAddr(3).Bytes(), 1_000_000), wire.CodeInsufficientFunds},
		{"second zero amount", transferMsg(otherAddr(3).Bytes(), 0), wire.CodeInvalidMessage},
		{"second bad recipient", transferMsg([]byte{1, 2, 3}, 5), wire.CodeInvalidMessage},
		{"second unknown", &pb.Msg{}, wire.CodeUnknownMessage},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, p, 100_000, 50)
			raw := sign(t, f.keys[0], &pb.TxBody{ChainId: testChainID, Fee: 2_000, Messages: []*pb.Msg{
				transferMsg(f.addrs[1][:], 30_000), c.second,
			}})
			res := deliver(t, f, raw)
			if res.Code != c.code {
				t.Fatalf("code %v, want %v (%s)", res.Code, c.code, res.Log)
			}
			a := account(t, f.kv, f.addrs[0])
			if c.code == wire.CodeUnknownMessage {
				// Rejected at decoding: nothing is charged.
				if a.Balance != 100_000 || a.Nonce != 0 {
					t.Fatalf("sender %v after an undecodable tx", a)
				}
			} else {
				if !strings.Contains(res.Log, "message 1") {
					t.Errorf("log %q does not name message 1", res.Log)
				}
				if a.Balance != 100_000-2_000 || a.Nonce != 1 {
					t.Fatalf("sender %v, want fee charged only", a)
				}
			}
			if b := account(t, f.kv, f.addrs[1]); b.Balance != 50 {
				t.Fatalf("first message applied: recipient %v", b)
			}
			if o := account(t, f.kv, otherAddr(3)); o.Balance != 0 {
				t.Fatalf("second message applied: %v", o)
			}
			mustSupply(t, f.kv)
		})
	}
	t.Run("all succeed", func(t *testing.T) {
		f := newFixture(t, p, 100_000, 50)
		raw := signMin(t, p, f.keys[0], 0, transferMsg(f.addrs[1][:], 30_000), transferMsg(otherAddr(3).Bytes(), 20_000),
			transferMsg(f.addrs[0][:], 1)) // a transfer to oneself changes nothing
		fee := feeOf(t, raw)
		res := deliver(t, f, raw)
		if !res.OK() {
			t.Fatalf("%v %s", res.Code, res.Log)
		}
		if len(res.Events) != 4 || res.Events[0].Type != "tx" || res.Events[1].Type != "transfer" {
			t.Errorf("events %+v", res.Events)
		}
		if a := account(t, f.kv, f.addrs[0]); a.Balance != 100_000-50_000-fee || a.Nonce != 1 {
			t.Fatalf("sender %v", a)
		}
		if b := account(t, f.kv, f.addrs[1]); b.Balance != 30_050 {
			t.Fatalf("recipient 1 %v", b)
		}
		if o := account(t, f.kv, otherAddr(3)); o.Balance != 20_000 || o.Nonce != 0 {
			t.Fatalf("new account %v", o)
		}
		mustSupply(t, f.kv)
	})
}

// testSeed returns the seed of a randomized test: PROTOCOL_TEST_SEED if
// set, so a failure replays, or a fresh one.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PROTOCOL_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("PROTOCOL_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with PROTOCOL_TEST_SEED=%d)", seed, seed)
	return seed
}

// model is an independent account of what the state should hold.
type model struct {
	bal    map[address.Address]uint64
	nonce  map[address.Address]uint64
	burned uint64
}

// TestSupplyRandomTransfers delivers 500 random transfers, many of them
// invalid in one way or another, checks each outcome against a simple
// model of the rules, and checks the supply invariant after each.
func TestSupplyRandomTransfers(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := protocol.DefaultParams()
	f := newFixture(t, p, 5_000_000, 2_000_000, 300_000, 2_000)
	m := model{bal: map[address.Address]uint64{}, nonce: map[address.Address]uint64{}}
	for i, a := range f.addrs {
		m.bal[a] = []uint64{5_000_000, 2_000_000, 300_000, 2_000}[i]
	}
	recipients := append(append([]address.Address{}, f.addrs...), otherAddr(0xe1), otherAddr(0xe2))
	ok, failed := 0, 0
	for i := 0; i < 500; i++ {
		s := r.IntN(len(f.keys))
		from := f.addrs[s]
		to := recipients[r.IntN(len(recipients))]
		var amount uint64
		switch r.IntN(10) {
		case 0:
			amount = 0
		case 1:
			amount = m.bal[from] + uint64(r.IntN(100)) // often too much
		default:
			amount = uint64(r.IntN(2_000)) + 1
		}
		nonce := m.nonce[from]
		if r.IntN(15) == 0 {
			nonce += uint64(r.IntN(3)) + 1
		}
		msgs := []*pb.Msg{transferMsg(to[:], amount)}
		if r.IntN(8) == 0 {
			msgs = append(msgs, transferMsg(recipients[r.IntN(len(recipients))][:], uint64(r.IntN(500))+1))
		}
		raw := signMin(t, p, f.keys[s], nonce, msgs...)
		fee := feeOf(t, raw)
		if r.IntN(12) == 0 {
			fee += uint64(r.IntN(1_000))
			if r.IntN(4) == 0 {
				fee = p.MinFee(len(raw), msgs) - 1
			}
			raw = sign(t, f.keys[s], &pb.TxBody{ChainId: testChainID, Nonce: nonce, Fee: fee, Messages: msgs})
		}

		// The expected outcome, by the rules of docs/CHAIN.md ("Transactions").
		want := wire.CodeOK
		var sum uint64
		for _, msg := range msgs {
			sum += msg.GetTransfer().Amount
		}
		switch {
		case nonce != m.nonce[from]:
			want = wire.CodeWrongNonce
		case fee < p.MinFee(len(raw), msgs):
			want = wire.CodeFeeTooLow
		case m.bal[from] < fee:
			want = wire.CodeInsufficientFunds
		default:
			// Messages run in order over the balance left after the fee.
			left := m.bal[from] - fee
			for _, msg := range msgs {
				tr := msg.GetTransfer()
				if tr.Amount == 0 {
					want = wire.CodeInvalidMessage
					break
				}
				if left < tr.Amount {
					want = wire.CodeInsufficientFunds
					break
				}
				if !bytes.Equal(tr.To, from[:]) {
					left -= tr.Amount
				}
			}
			m.bal[from] -= fee
			m.nonce[from]++
			m.burned += fee
			if want == wire.CodeOK {
				for _, msg := range msgs {
					tr := msg.GetTransfer()
					var dst address.Address
					copy(dst[:], tr.To)
					m.bal[from] -= tr.Amount
					m.bal[dst] += tr.Amount
				}
			}
		}

		res := deliver(t, f, raw)
		if res.Code != want {
			t.Fatalf("tx %d (sender %d nonce %d fee %d amounts %d): code %v, model says %v; log %s",
				i, s, nonce, fee, sum, res.Code, want, res.Log)
		}
		if res.OK() {
			ok++
		} else {
			failed++
		}
		if err := protocol.CheckSupply(f.kv); err != nil {
			t.Fatalf("after tx %d: %v", i, err)
		}
	}
	for a, b := range m.bal {
		if got := account(t, f.kv, a); got.Balance != b || got.Nonce != m.nonce[a] {
			t.Errorf("%s: state %v, model balance %d nonce %d", a, got, b, m.nonce[a])
		}
	}
	if s := supply(t, f.kv); s.Burned != m.burned || s.Genesis != f.total {
		t.Errorf("supply %v, model burned %d genesis %d", s, m.burned, f.total)
	}
	if ok < 200 || failed < 50 {
		t.Errorf("poor mix: %d accepted, %d failed", ok, failed)
	}
	t.Logf("%d accepted, %d failed, %d burned", ok, failed, m.burned)
}

// TestCheckSupplyDetectsBreakage writes balances directly into the store,
// around the protocol: CheckSupply must notice.
func TestCheckSupplyDetectsBreakage(t *testing.T) {
	put := func(t *testing.T, kv store.KV, a address.Address, acct *pb.Account) {
		b, err := proto.Marshal(acct)
		if err != nil {
			t.Fatal(err)
		}
		if err := kv.Set(protocol.AccountKey(a), b); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("inflated balance", func(t *testing.T) {
		f := newFixture(t, protocol.DefaultParams(), 1000, 2000)
		mustSupply(t, f.kv)
		put(t, f.kv, f.addrs[0], &pb.Account{Balance: 1001})
		if err := protocol.CheckSupply(f.kv); err == nil {
			t.Fatal("CheckSupply accepted one uprv from nowhere")
		}
	})
	t.Run("new account from nothing", func(t *testing.T) {
		f := newFixture(t, protocol.DefaultParams(), 1000, 2000)
		put(t, f.kv, otherAddr(9), &pb.Account{Balance: 5})
		if err := protocol.CheckSupply(f.kv); err == nil {
			t.Fatal("CheckSupply accepted an account created from nothing")
		}
	})
	t.Run("vanished balance", func(t *testing.T) {
		f := newFixture(t, protocol.DefaultParams(), 1000, 2000)
		put(t, f.kv, f.addrs[1], &pb.Account{Balance: 1999, Nonce: 3})
		if err := protocol.CheckSupply(f.kv); err == nil {
			t.Fatal("CheckSupply accepted a lost uprv")
		}
	})
	t.Run("undecodable account", func(t *testing.T) {
		f := newFixture(t, protocol.DefaultParams(), 1000, 2000)
		if err := f.kv.Set(protocol.AccountKey(f.addrs[0]), []byte{0xff, 0xff}); err != nil {
			t.Fatal(err)
		}
		if err := protocol.CheckSupply(f.kv); err == nil {
			t.Fatal("CheckSupply accepted an undecodable account")
		}
	})
	t.Run("moved balance is fine", func(t *testing.T) {
		// The control: redistributing without creating value is accepted.
		f := newFixture(t, protocol.DefaultParams(), 1000, 2000)
		put(t, f.kv, f.addrs[0], &pb.Account{Balance: 400})
		put(t, f.kv, f.addrs[1], &pb.Account{Balance: 2600})
		mustSupply(t, f.kv)
	})
}

// txSequence is a fixed mix of successful and failing transactions.
func txSequence(t *testing.T, f *fixture) [][]byte {
	p := f.env.Params
	return [][]byte{
		signMin(t, p, f.keys[0], 0, transferMsg(f.addrs[1][:], 100)),
		signMin(t, p, f.keys[1], 0, transferMsg(otherAddr(7).Bytes(), 1_000)),
		signMin(t, p, f.keys[0], 1, transferMsg(f.addrs[2][:], 10_000_000)), // fails, pays
		signMin(t, p, f.keys[0], 1, transferMsg(f.addrs[2][:], 1)),          // replay
		[]byte("garbage"),
		signMin(t, p, f.keys[2], 0, transferMsg(f.addrs[0][:], 5), transferMsg(otherAddr(8).Bytes(), 6)),
		signMin(t, p, f.keys[2], 1, transferMsg(f.addrs[2][:], 7)),
		signMin(t, p, f.keys[1], 1, transferMsg(f.addrs[0][:], 0)), // invalid, pays
		// Many new accounts in one tx: the order in which buffered writes
		// reach the tree shapes it, so this catches an unordered flush.
		signMin(t, p, f.keys[1], 2, transferMsg(otherAddr(0x31).Bytes(), 1), transferMsg(otherAddr(0x32).Bytes(), 2),
			transferMsg(otherAddr(0x33).Bytes(), 3), transferMsg(otherAddr(0x34).Bytes(), 4), transferMsg(otherAddr(0x35).Bytes(), 5),
			transferMsg(otherAddr(0x36).Bytes(), 6), transferMsg(otherAddr(0x37).Bytes(), 7), transferMsg(otherAddr(0x38).Bytes(), 8)),
	}
}

// TestDeliverDeterministic: the same transactions on separate stores give
// the same results, the same hash after every transaction and the same
// committed hash. (Several stores, so that an accidental dependence on map
// iteration order is likely to show.)
func TestDeliverDeterministic(t *testing.T) {
	p := protocol.DefaultParams()
	stores := make([]*fixture, 4)
	for i := range stores {
		stores[i] = newFixture(t, p, 100_000, 100_000, 100_000)
	}
	a := stores[0]
	for _, b := range stores[1:] {
		if !bytes.Equal(a.tree.WorkingHash(), b.tree.WorkingHash()) {
			t.Fatal("the same genesis gives different hashes")
		}
	}
	txs := txSequence(t, a)
	prev := a.tree.WorkingHash()
	var codes []wire.Code
	for i, raw := range txs {
		ra := deliver(t, a, raw)
		ha := a.tree.WorkingHash()
		for j, b := range stores[1:] {
			rb := deliver(t, b, raw)
			if ra.Code != rb.Code || ra.Log != rb.Log || fmt.Sprint(ra.Events) != fmt.Sprint(rb.Events) {
				t.Fatalf("tx %d: results differ on store %d: %+v vs %+v", i, j+1, ra, rb)
			}
			if hb := b.tree.WorkingHash(); !bytes.Equal(ha, hb) {
				t.Fatalf("tx %d: hashes differ on store %d: %x vs %x", i, j+1, ha, hb)
			}
		}
		// A transaction changes the state exactly when it passed admission.
		changed := !bytes.Equal(prev, ha)
		admitted := ra.OK() || ra.Code == wire.CodeInvalidMessage || (ra.Code == wire.CodeInsufficientFunds && strings.HasPrefix(ra.Log, "message"))
		if changed != admitted {
			t.Errorf("tx %d (%v): state changed %v", i, ra.Code, changed)
		}
		prev = ha
		codes = append(codes, ra.Code)
	}
	want := []wire.Code{0, 0, wire.CodeInsufficientFunds, wire.CodeWrongNonce, wire.CodeMalformed, 0, 0, wire.CodeInvalidMessage, 0}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
	ca, va, err := a.tree.Commit()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range stores[1:] {
		cb, vb, err := b.tree.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if va != vb || !bytes.Equal(ca, cb) {
			t.Fatalf("committed %d %x vs %d %x", va, ca, vb, cb)
		}
	}
	mustSupply(t, a.kv)
}

// TestIndependentTransfersCommute: two transfers between disjoint accounts
// in either order give the same balances. (The IAVL hash may depend on the
// order of writes, so only the values are compared.)
func TestIndependentTransfersCommute(t *testing.T) {
	p := protocol.DefaultParams()
	dump := func(f *fixture) string {
		var sb strings.Builder
		err := f.kv.Iterate(nil, nil, func(k, v []byte) bool {
			fmt.Fprintf(&sb, "%x=%x\n", k, v)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	a := newFixture(t, p, 10_000, 0, 10_000, 0)
	b := newFixture(t, p, 10_000, 0, 10_000, 0)
	t1 := signMin(t, p, a.keys[0], 0, transferMsg(a.addrs[1][:], 111))
	t2 := signMin(t, p, a.keys[2], 0, transferMsg(otherAddr(4).Bytes(), 222))
	for _, raw := range [][]byte{t1, t2} {
		if res := deliver(t, a, raw); !res.OK() {
			t.Fatal(res.Log)
		}
	}
	for _, raw := range [][]byte{t2, t1} {
		if res := deliver(t, b, raw); !res.OK() {
			t.Fatal(res.Log)
		}
	}
	if da, db := dump(a), dump(b); da != db {
		t.Fatalf("state differs by order:\n%s\nvs\n%s", da, db)
	}
	t.Logf("hashes equal in both orders: %v", bytes.Equal(a.tree.WorkingHash(), b.tree.WorkingHash()))
}

// beaconBody splits a beacon entry into its prefix and BeaconTx, checking
// that the body is exactly the deterministic encoding of the fields.
func beaconParts(t *testing.T, raw []byte, want *pb.BeaconTx) (prefix []byte) {
	t.Helper()
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(raw, body) {
		t.Fatalf("beacon entry %x does not end with the encoding of %v", raw, want)
	}
	prefix = raw[:len(raw)-len(body)]
	if len(prefix) == 0 || prefix[0] != 0 || !protocol.IsBeaconTx(prefix) {
		t.Fatalf("beacon prefix %q", prefix)
	}
	return prefix
}

func TestBeacon(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1000)
	const h = 1
	raw, err := protocol.ProposeBeacon(f.kv, h, f.valAddr, f.vrfSecret)
	if err != nil {
		t.Fatal(err)
	}
	pi, err := vrf.Prove(f.vrfSecret, f.seed)
	if err != nil {
		t.Fatal(err)
	}
	prefix := beaconParts(t, raw, &pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: pi})
	if !protocol.IsBeaconTx(raw) {
		t.Fatal("IsBeaconTx(proposed) is false")
	}
	if protocol.IsBeaconTx(signMin(t, p, f.keys[0], 0, transferMsg(f.addrs[0][:], 1))) {
		t.Fatal("a signed transfer looks like a beacon")
	}

	entry, err := protocol.VerifyBeacon(f.kv, h, f.valAddr, raw)
	if err != nil {
		t.Fatal(err)
	}
	beta, err := vrf.ProofToHash(pi)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(append(append([]byte{}, f.seed...), beta...))
	if entry.Height != h || !bytes.Equal(entry.Proposer, f.valAddr) || !bytes.Equal(entry.Pi, pi) ||
		!bytes.Equal(entry.Beta, beta) || !bytes.Equal(entry.PrevSeed, f.seed) || !bytes.Equal(entry.Seed, want[:]) {
		t.Fatalf("entry %v, want seed %x", entry, want)
	}

	encode := func(bt *pb.BeaconTx) []byte {
		b, err := proto.Marshal(bt)
		if err != nil {
			t.Fatal(err)
		}
		return append(append([]byte{}, prefix...), b...)
	}
	otherSecret, _, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{0x6b}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	unknownVal := bytes.Repeat([]byte{0xbb}, 20)
	otherPi, _ := vrf.Prove(otherSecret, f.seed)
	flipped := append([]byte{}, pi...)
	flipped[40] ^= 0x01 // inside c
	flippedGamma := append([]byte{}, pi...)
	flippedGamma[3] ^= 0x80
	wrongSeedPi, _ := vrf.Prove(f.vrfSecret, bytes.Repeat([]byte{0x43}, 32))
	mustPropose := func(height int64, proposer, secret []byte) []byte {
		b, err := protocol.ProposeBeacon(f.kv, height, proposer, secret)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := []struct {
		name     string
		height   int64
		proposer []byte
		raw      []byte
	}{
		{"wrong height (entry for 2)", h, f.valAddr, mustPropose(2, f.valAddr, f.vrfSecret)},
		{"wrong height (block is 2)", 2, f.valAddr, raw},
		{"wrong proposer in block", h, unknownVal, raw},
		{"entry names another proposer", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: unknownVal, Pi: pi})},
		{"proposer without VRF key", h, unknownVal, mustPropose(h, unknownVal, f.vrfSecret)},
		{"proof by another VRF key", h, f.valAddr, mustPropose(h, f.valAddr, otherSecret)},
		{"another key's proof, re-encoded", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: otherPi})},
		{"flipped byte in pi (c)", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: flipped})},
		{"flipped byte in pi (Gamma)", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: flippedGamma})},
		{"truncated pi", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: pi[:79]})},
		{"proof over another seed", h, f.valAddr, encode(&pb.BeaconTx{Height: h, Proposer: f.valAddr, Pi: wrongSeedPi})},
		{"undecodable body", h, f.valAddr, append(append([]byte{}, prefix...), 0xff, 0xff)},
		{"not a beacon", h, f.valAddr, signMin(t, p, f.keys[0], 0, transferMsg(f.addrs[0][:], 1))},
		{"empty", h, f.valAddr, nil},
	}
	before := f.tree.WorkingHash()
	for _, c := range bad {
		e, err := protocol.VerifyBeacon(f.kv, c.height, c.proposer, c.raw)
		if !errors.Is(err, protocol.ErrBadBeacon) {
			t.Errorf("%s: VerifyBeacon = %v, %v; want ErrBadBeacon", c.name, e, err)
		}
	}
	if !bytes.Equal(before, f.tree.WorkingHash()) {
		t.Fatal("VerifyBeacon wrote to the state")
	}

	ev, err := protocol.ApplyBeacon(f.kv, entry)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "beacon" {
		t.Errorf("event %+v", ev)
	}
	if s, err := protocol.Seed(f.kv); err != nil || !bytes.Equal(s, want[:]) {
		t.Fatalf("seed after ApplyBeacon %x %v, want %x", s, err, want)
	}
	got, err := protocol.GetBeacon(f.kv, h)
	if err != nil || !proto.Equal(got, entry) {
		t.Fatalf("GetBeacon = %v %v", got, err)
	}
	if _, err := protocol.GetBeacon(f.kv, h+1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBeacon(h+1) = %v", err)
	}
	mustSupply(t, f.kv)

	// The next height chains from the new seed; the old entry no longer
	// verifies at the next height, even relabelled.
	raw2 := mustPropose(h+1, f.valAddr, f.vrfSecret)
	e2, err := protocol.VerifyBeacon(f.kv, h+1, f.valAddr, raw2)
	if err != nil {
		t.Fatal(err)
	}
	beta2, _ := vrf.ProofToHash(e2.Pi)
	want2 := sha256.Sum256(append(append([]byte{}, want[:]...), beta2...))
	if !bytes.Equal(e2.PrevSeed, want[:]) || !bytes.Equal(e2.Seed, want2[:]) {
		t.Fatalf("second entry %v", e2)
	}
	if _, err := protocol.VerifyBeacon(f.kv, h+1, f.valAddr, encode(&pb.BeaconTx{Height: h + 1, Proposer: f.valAddr, Pi: pi})); !errors.Is(err, protocol.ErrBadBeacon) {
		t.Fatalf("old proof accepted at the next height: %v", err)
	}
}

// FuzzDeliverTx: on a healthy store, DeliverTx never panics and never
// returns a Go error, whatever the bytes; CheckTx agrees with it on the
// code; a transaction rejected at admission changes nothing; and the supply
// invariant holds afterwards.
func FuzzDeliverTx(f *testing.F) {
	p := protocol.DefaultParams()
	seedFix := newFixture(f, p, 1_000_000, 300)
	k, to := seedFix.keys[0], seedFix.addrs[1]
	f.Add(signMin(f, p, k, 0, transferMsg(to[:], 10)))
	f.Add(signMin(f, p, k, 0, transferMsg(to[:], 10), transferMsg(otherAddr(1).Bytes(), 20)))
	f.Add(signMin(f, p, k, 0, transferMsg(to[:], 2_000_000)))
	f.Add(signMin(f, p, k, 0, transferMsg(to[:], 0)))
	f.Add(signMin(f, p, k, 0, transferMsg(to[:19], 5)))
	f.Add(signMin(f, p, k, 3, transferMsg(to[:], 10)))
	f.Add(signMin(f, p, seedFix.keys[1], 0, transferMsg(otherAddr(2).Bytes(), 1)))
	f.Add(sign(f, k, &pb.TxBody{ChainId: testChainID, Fee: 1_000, Messages: []*pb.Msg{{}}}))
	f.Add(sign(f, k, &pb.TxBody{ChainId: testChainID, Fee: 1_000}))
	f.Add(sign(f, k, &pb.TxBody{ChainId: "x", Fee: 1_000, Messages: []*pb.Msg{transferMsg(to[:], 1)}}))
	beacon, err := protocol.ProposeBeacon(seedFix.kv, 1, seedFix.valAddr, seedFix.vrfSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(beacon)
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00})
	f.Add([]byte{0x0a, 0x02, 0x12, 0x20})
	f.Add(bytes.Repeat([]byte{0xff}, 64))

	admission := map[wire.Code]bool{
		wire.CodeMalformed: true, wire.CodeOversize: true, wire.CodeWrongChainID: true,
		wire.CodeBadSignature: true, wire.CodeWrongNonce: true, wire.CodeFeeTooLow: true,
		wire.CodeNoMessages: true, wire.CodeUnknownMessage: true, wire.CodeNotAllowed: true,
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fx := newFixture(t, p, 1_000_000, 300)
		before := fx.tree.WorkingHash()
		cres, err := protocol.CheckTx(store.NewCache(fx.kv), fx.env, raw)
		if err != nil {
			t.Fatalf("CheckTx returned a Go error: %v", err)
		}
		res, err := protocol.DeliverTx(fx.kv, fx.env, raw)
		if err != nil {
			t.Fatalf("DeliverTx returned a Go error: %v", err)
		}
		if res.Code.String() == "unknown_code" {
			t.Fatalf("undocumented code %d", res.Code)
		}
		if res.Code != cres.Code {
			t.Fatalf("CheckTx says %v, DeliverTx %v on the same state", cres.Code, res.Code)
		}
		if !res.OK() && res.Log == "" {
			t.Fatalf("code %v without a log", res.Code)
		}
		if admission[res.Code] && !bytes.Equal(before, fx.tree.WorkingHash()) {
			t.Fatalf("%v changed the state", res.Code)
		}
		if err := protocol.CheckSupply(fx.kv); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVoteTravelsAlone: a Vote among other messages is refused
// (invalid_message) with nothing executed, while the sender pays the fee
// and uses the nonce like any admitted transaction that fails.
func TestVoteTravelsAlone(t *testing.T) {
	f := newFixture(t, protocol.DefaultParams(), 1_000_000, 0)
	vote := &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{1}, Verdicts: []byte{1}}}}
	for _, msgs := range [][]*pb.Msg{
		{transferMsg(addrOf(f.keys[1]).Bytes(), 5), vote},
		{vote, transferMsg(addrOf(f.keys[1]).Bytes(), 5)},
	} {
		before := account(t, f.kv, addrOf(f.keys[0]))
		raw := signMin(t, f.env.Params, f.keys[0], before.Nonce, msgs...)
		res := deliver(t, f, raw)
		if res.Code != wire.CodeInvalidMessage || !strings.Contains(res.Log, "travels alone") {
			t.Fatalf("a Vote with another message: code %v %q; want invalid_message", res.Code, res.Log)
		}
		after := account(t, f.kv, addrOf(f.keys[0]))
		if after.Nonce != before.Nonce+1 || after.Balance != before.Balance-feeOf(t, raw) {
			t.Fatalf("nonce %d -> %d, balance %d -> %d: the fee and nonce were not taken", before.Nonce, after.Nonce, before.Balance, after.Balance)
		}
		if got := account(t, f.kv, addrOf(f.keys[1])).Balance; got != 0 {
			t.Fatalf("the transfer beside the Vote ran: balance %d", got)
		}
	}
}
