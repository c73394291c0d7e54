package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// marketBackend is an appBackend whose chain has funded accounts and
// takes blocks of transactions (issue 17's endpoints need asks on chain).
type marketBackend struct {
	*appBackend
	t      *testing.T
	val    []byte
	height int64
	keys   []*client.Key
	nonces []uint64
	params protocol.Params
}

func newMarketBackend(t *testing.T, accounts int) *marketBackend {
	t.Helper()
	val := cmted25519.GenPrivKeyFromSecret([]byte("httpapi market validator"))
	secret, public, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, vrf.SecretKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	app, err := chain.New(chain.Options{Store: iavltree.OpenMemory(), ValidatorAddress: val.PubKey().Address(), VRFSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	b := &marketBackend{appBackend: &appBackend{app: app}, t: t, val: val.PubKey().Address(), params: protocol.DefaultParams(),
		nonces: make([]uint64, accounts)}
	g := protocol.Genesis{Params: b.params, BeaconSeed: bytes.Repeat([]byte{2}, 32),
		Validators: []protocol.GenesisValidator{{Name: "val", Address: b.val, VRFPublicKey: public}}}
	for i := range accounts {
		k := &client.Key{Name: "a", Private: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(0x50 + i)}, 32))}
		b.keys = append(b.keys, k)
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: address.FromPublicKey(k.PublicKey()), Balance: 1 << 50})
	}
	doc, _ := json.Marshal(g)
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: "mkt", InitialHeight: 1, Time: time.Unix(1, 0),
		Validators:    []abci.ValidatorUpdate{{PubKeyType: cmted25519.KeyType, PubKeyBytes: val.PubKey().Bytes(), Power: 1}},
		AppStateBytes: doc}); err != nil {
		t.Fatal(err)
	}
	b.block()
	return b
}

func (b *marketBackend) addr(i int) address.Address {
	return address.FromPublicKey(b.keys[i].PublicKey())
}

func (b *marketBackend) tx(from int, msgs ...*pb.Msg) []byte {
	b.t.Helper()
	fp := client.FeeParams{FeePerByte: b.params.FeePerByte, FeePerMsg: b.params.FeePerMsg, FeePerWeight: b.params.FeePerWeight,
		AdmissionChallenges: b.params.AdmissionChallenges}
	raw, err := client.SignTx(b.keys[from], "mkt", b.nonces[from], 0, fp, msgs...)
	if err != nil {
		b.t.Fatal(err)
	}
	b.nonces[from]++
	return raw
}

// block commits a block of txs, each of which must succeed.
func (b *marketBackend) block(txs ...[]byte) {
	b.t.Helper()
	ctx, h := context.Background(), b.height+1
	prop, err := b.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Txs: txs, MaxTxBytes: 1 << 22, Height: h, ProposerAddress: b.val})
	if err != nil {
		b.t.Fatal(err)
	}
	res, err := b.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: prop.Txs, Height: h, Time: time.Unix(1+h, 0), ProposerAddress: b.val})
	if err != nil {
		b.t.Fatal(err)
	}
	for i, r := range res.TxResults {
		if r.Code != 0 {
			b.t.Fatalf("height %d tx %d: code %d %s", h, i, r.Code, r.Log)
		}
	}
	if len(res.TxResults) != len(txs)+1 {
		b.t.Fatalf("height %d: %d results for %d txs", h, len(res.TxResults), len(txs))
	}
	if _, err := b.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		b.t.Fatal(err)
	}
	b.height = h
}

// getJSON GETs path and decodes a 200 answer into out, or checks status.
func getMarketJSON(t *testing.T, srv *httptest.Server, path string, status int, out any) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		var e wire.APIError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("GET %s: %d (%+v), want %d", path, resp.StatusCode, e, status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
}

// TestMarketEndpoints runs asks and market Runs through a real App and
// reads them back through the API: /v1/asks pages as the prover's own
// asks say, /v1/market, the market /v1/fee naming the asks that match,
// reputation in /v1/provers/{address}, and a matched and an unmatched
// market Run's workload and allocation (issue 17).
func TestMarketEndpoints(t *testing.T) {
	b := newMarketBackend(t, 3)
	srv := httptest.NewServer(Handler(b))
	t.Cleanup(srv.Close)
	pv, vf := sha256.Sum256([]byte("api mkt prover")), sha256.Sum256([]byte("api mkt verifier"))
	deploy, err := client.DeployMsg("mkt", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 10},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prog := hex.EncodeToString(wire.ProgramID(pv[:], vf[:]))
	txs := [][]byte{b.tx(0, deploy)}
	for i := 1; i <= 2; i++ {
		_, pub, _ := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{byte(i)}, vrf.SecretKeySize)))
		// max_concurrent 2: after the first market Run each still has room,
		// so its asks stay in the book for the second to miss on price.
		txs = append(txs, b.tx(i, client.RegisterProverMsg(pub, wire.Hardware{CPUCores: 2, MemoryMB: 2048}, 2, ""), client.StakeMsg(b.params.MinProverStake)))
	}
	b.block(txs...)
	ask := func(from int, a client.AskSpec) []byte {
		m, err := client.SetAskMsg(a)
		if err != nil {
			t.Fatal(err)
		}
		return b.tx(from, m)
	}
	b.block(ask(1, client.AskSpec{ID: 1, Price: 4, Latency: 10, Classes: []string{"cpu"}}),
		ask(1, client.AskSpec{ID: 2, Price: 9, Latency: 3, Programs: []string{prog}}),
		ask(2, client.AskSpec{ID: 7, Price: 6, Latency: 10, Classes: []string{"cpu"}}))

	// The cpu book, a page at a time, is the provers' cpu asks by price.
	var mine []wire.Ask
	for i := 1; i <= 2; i++ {
		var p wire.AskPage
		getMarketJSON(t, srv, "/v1/asks?prover="+b.addr(i).String(), http.StatusOK, &p)
		mine = append(mine, p.Asks...)
	}
	var want []wire.Ask
	for _, a := range mine {
		if slices.Contains(a.Classes, "cpu") {
			want = append(want, a)
		}
	}
	slices.SortFunc(want, func(x, y wire.Ask) int { return int(x.Price) - int(y.Price) })
	var got []wire.Ask
	for cursor, pages := "", 0; ; pages++ {
		var p wire.AskPage
		getMarketJSON(t, srv, "/v1/asks?class=cpu&limit=1&cursor="+cursor, http.StatusOK, &p)
		got = append(got, p.Asks...)
		if cursor = p.Next; cursor == "" || pages > 4 {
			break
		}
	}
	if len(want) != 2 || !slices.EqualFunc(got, want, func(x, y wire.Ask) bool { return x.Prover == y.Prover && x.ID == y.ID && x.Price == y.Price }) {
		t.Fatalf("cpu book by pages %+v, want %+v", got, want)
	}
	for _, q := range []string{"", "?class=cpu&prover=" + b.addr(1).String(), "?class=tpu", "?program=abc", "?prover=nope", "?class=cpu&limit=201"} {
		getMarketJSON(t, srv, "/v1/asks"+q, http.StatusBadRequest, nil)
	}

	var m wire.Market
	getMarketJSON(t, srv, "/v1/market?program="+prog, http.StatusOK, &m)
	if m.Class != "cpu" || len(m.ProgramAsks) != 1 || m.ProgramAsks[0].Price != 9 || len(m.ClassAsks) != 2 || m.ClassAsks[0].Price != 4 {
		t.Fatalf("market %+v", m)
	}
	getMarketJSON(t, srv, "/v1/market?program=xyz", http.StatusBadRequest, nil)
	getMarketJSON(t, srv, "/v1/market?program="+hex.EncodeToString(make([]byte, 32)), http.StatusNotFound, nil)

	fee := func(q string) string { return "/v1/fee?program=" + prog + "&cycles=3000000&provers=2" + q }
	var fq wire.FeeQuote
	getMarketJSON(t, srv, fee("&mechanism=market&max_price=7&max_latency=20&deny="+url.QueryEscape(b.addr(2).String())), http.StatusOK, &fq)
	wantQ, _ := protocol.MarketQuote(b.params, 3_000_000, 2, 7)
	if fq.Mechanism != "market" || fq.Fee != wantQ.Fee || len(fq.Asks) != 1 || fq.Asks[0].Prover != b.addr(1).String() || fq.Asks[0].ID != 1 {
		t.Fatalf("market quote (prover 2 denied) %+v, want fee %d", fq, wantQ.Fee)
	}
	fq = wire.FeeQuote{}
	getMarketJSON(t, srv, fee("&mechanism=market&max_price=7&priority=time"), http.StatusOK, &fq)
	if len(fq.Asks) != 2 || fq.Asks[0].Latency > fq.Asks[1].Latency {
		t.Fatalf("market quote by time %+v", fq)
	}
	for _, q := range []string{"&mechanism=auction", "&mechanism=market", "&mechanism=market&max_price=5&priority=soon",
		"&mechanism=market&max_price=5&allow=prv1x", "&mechanism=cheapest&max_price=5"} {
		getMarketJSON(t, srv, fee(q), http.StatusBadRequest, nil)
	}

	// The pool (issue 17): none frozen yet (the genesis epoch), the score
	// index ranks prover 1 (stake / 4) before prover 2 (stake / 6); a pool
	// quote previews a draw in the pool frozen now: nobody.
	var pool wire.PoolView
	getMarketJSON(t, srv, "/v1/pool", http.StatusOK, &pool)
	if pool.Class != "cpu" || pool.Pool != nil || len(pool.Next) != 2 || pool.Next[0].Prover != b.addr(1).String() ||
		pool.Next[1].Prover != b.addr(2).String() || pool.Next[0].Price != 4 || pool.Next[0].Score != b.params.MinProverStake*1_000_000/4 {
		t.Fatalf("cpu pool %+v", pv)
	}
	pool = wire.PoolView{}
	getMarketJSON(t, srv, "/v1/pool?class=gpu", http.StatusOK, &pool)
	if pool.Class != "gpu" || pool.Pool != nil || len(pool.Next) != 0 {
		t.Fatalf("gpu pool %+v", pv)
	}
	getMarketJSON(t, srv, "/v1/pool?class=tpu", http.StatusBadRequest, nil)
	fq = wire.FeeQuote{}
	getMarketJSON(t, srv, fee("&mechanism=pool&max_price=7"), http.StatusOK, &fq)
	if fq.Mechanism != "pool" || fq.Fee != wantQ.Fee || len(fq.Asks) != 0 {
		t.Fatalf("pool quote before any pool %+v", fq)
	}
	getMarketJSON(t, srv, fee("&mechanism=pool&max_price=7&priority=time"), http.StatusBadRequest, nil)

	var p wire.Prover
	getMarketJSON(t, srv, "/v1/provers/"+b.addr(1).String(), http.StatusOK, &p)
	if p.Reputation == nil || p.Reputation.ScoreBp != 5000 || p.Reputation.Window != b.params.ReputationWindow {
		t.Fatalf("prover's reputation %+v", p.Reputation)
	}

	// A market Run taking both cpu asks, and one no ask serves.
	run := func(maxPrice uint64) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: wire.ProgramID(pv[:], vf[:]), Cycles: 3_000_000, Provers: 2, Deadline: 40,
			Recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", Inputs: []*pb.Input{{Name: "in", Data: []byte("x")}},
			Market: &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: maxPrice}}}}
	}
	nonce := b.nonces[0]
	b.block(b.tx(0, run(8), run(2)))
	b.block()
	ok, missed := hex.EncodeToString(wire.WorkloadID(b.addr(0), nonce, 0)), hex.EncodeToString(wire.WorkloadID(b.addr(0), nonce, 1))
	var w wire.Workload
	getMarketJSON(t, srv, "/v1/workloads/"+ok, http.StatusOK, &w)
	if w.Market == nil || w.Market.Mechanism != "market" || w.Market.MaxPrice != 8 || len(w.Slots) != 2 ||
		w.Slots[0].AllocatedTo != b.addr(1).String() || w.Slots[0].Price != protocol.SlotPrice(b.params, 3_000_000, 4) || w.Slots[0].AskID != 1 {
		t.Fatalf("matched workload %+v", w)
	}
	var a wire.Allocation
	getMarketJSON(t, srv, "/v1/workloads/"+ok+"/allocation", http.StatusOK, &a)
	if a.Mechanism != "market" || a.Market == nil || !a.Agrees || !slices.Equal(a.Drawn, []string{b.addr(1).String(), b.addr(2).String()}) ||
		!slices.Equal(a.Market.Taken, a.Drawn) || len(a.Market.Candidates) == 0 {
		t.Fatalf("market allocation %+v", a)
	}
	w = wire.Workload{}
	getMarketJSON(t, srv, "/v1/workloads/"+missed, http.StatusOK, &w)
	if w.State != wire.WorkloadExpired || w.Reason != "no_matching_ask" || len(w.Missed) == 0 || w.Missed[0].Reason != "price" {
		t.Fatalf("unmatched workload %+v", w)
	}
	m = wire.Market{}
	getMarketJSON(t, srv, "/v1/market?program="+prog, http.StatusOK, &m)
	if len(m.Clearing) != 0 { // recorded when a matched slot is final and paid, not when matched
		t.Fatalf("clearing prices before any settlement %+v", m.Clearing)
	}
}
