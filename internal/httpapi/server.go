// Package httpapi serves the node's HTTP JSON API (/v1).
//
// It is read-only except for broadcasting signed transactions, and it talks
// to the node only through a CometBFT RPC client (Backend), so it works the
// same against the in-process node and a remote one. Every error is a JSON
// wire.APIError with a stable code (codes.go) and a hint when there is
// something to do about it.
//
// Invariants: every input is bounded before it is parsed (URL length, body
// size, each parameter's form); a handler never panics on input, whatever
// the bytes (the fuzz targets in fuzz_test.go run every route); and no
// answer lists more than one page (chain.MaxPage records), so the work a
// request causes is bounded by its page, not by the size of the chain.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/mempool"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Backend is the part of a CometBFT RPC client the API uses.
type Backend interface {
	rpcclient.ABCIClient
	rpcclient.SignClient
	rpcclient.StatusClient
	rpcclient.MempoolClient
}

// maxBody bounds a request body (only a broadcast has one): the largest
// transaction, base64 encoded, in JSON.
const maxBody = 4 << 20

// maxURL bounds a request's path and query string; every parameter the API
// takes fits in a fraction of it.
const maxURL = 4 << 10

// Options tune a Handler; the zero value takes the defaults.
type Options struct {
	// MaxEventStreams bounds the event streams served at once (0:
	// DefaultMaxEventStreams).
	MaxEventStreams int
}

// Handler returns the API's HTTP handler with the default Options.
func Handler(b Backend) http.Handler { return HandlerWith(b, Options{}) }

// HandlerWith returns the API's HTTP handler. Every input is bounded
// before a handler sees it: the URL by maxURL (414 past it), the body by
// maxBody.
func HandlerWith(b Backend, o Options) http.Handler { return bounded(newMux(b, o)) }

// bounded refuses over-long URLs and caps bodies.
func bounded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RawPath)+len(r.URL.Path)+len(r.URL.RawQuery) > maxURL {
			fail(w, http.StatusRequestURITooLong, fmt.Sprintf("the URL is longer than %d bytes", maxURL), "see docs/API.md for the parameters")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// routes are the API's endpoints, as the mux registers them and the
// OpenAPI document (openapi.json) lists them.
var routes = []struct {
	pattern string
	handle  func(*server, http.ResponseWriter, *http.Request)
}{
	{"GET /v1/status", (*server).status},
	{"GET /v1/accounts/{address}", (*server).account},
	{"POST /v1/txs", (*server).broadcast},
	{"GET /v1/txs/{hash}", (*server).tx},
	{"GET /v1/beacon", (*server).beacon},
	{"GET /v1/beacon/{height}", (*server).beacon},
	{"GET /v1/blocks/{height}", (*server).block},
	{"GET /v1/params", (*server).params},
	{"GET /v1/supply", (*server).supply},
	{"GET /v1/programs", (*server).programs},
	{"GET /v1/programs/{id}", (*server).program},
	{"GET /v1/provers", (*server).provers},
	{"GET /v1/provers/{address}", (*server).prover},
	{"GET /v1/provers/{address}/history", (*server).proverHistory},
	{"GET /v1/validators", (*server).validatorList}, // issue 19
	{"GET /v1/workloads", (*server).workloads},
	{"GET /v1/workloads/{id}", (*server).workload},
	{"GET /v1/workloads/{id}/slots/{slot}/sealed", (*server).sealed},
	{"GET /v1/workloads/{id}/allocation", (*server).allocation},
	{"GET /v1/workloads/{id}/pending", (*server).pending},
	{"GET /v1/workloads/{id}/timeline", (*server).timeline},
	{"GET /v1/trees/{id}", (*server).tree}, // issue 16
	{"GET /v1/trees/{id}/nodes/{node}/proofs/{seq}", (*server).treeProof},
	{"GET /v1/fee", (*server).fee},
	{"GET /v1/asks", (*server).asks},     // issue 17
	{"GET /v1/market", (*server).market}, // issue 17
	{"GET /v1/pool", (*server).pool},     // issue 17
	{"GET /v1/events", (*server).events},
	{"GET /v1/openapi.json", (*server).openapi},
	{"GET /v1/light/{height}", (*server).light},
}

func newMux(b Backend, o Options) http.Handler {
	if o.MaxEventStreams <= 0 {
		o.MaxEventStreams = DefaultMaxEventStreams
	}
	s := &server{b: b, streams: make(chan struct{}, o.MaxEventStreams)}
	s.hub = newHub(s)
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.HandleFunc(r.pattern, func(w http.ResponseWriter, req *http.Request) { r.handle(s, w, req) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		failWith(w, http.StatusNotFound, wire.APINoRoute, "no such endpoint: "+r.Method+" "+r.URL.Path, "see docs/API.md for the endpoints, or GET /v1/openapi.json")
	})
	return mux
}

type server struct {
	b       Backend
	streams chan struct{} // a token per open event stream
	hub     *hub          // the event streams' shared block follower (hub.go)
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		unavailable(w, err)
		return
	}
	out := wire.Status{
		ChainID: st.NodeInfo.Network, NodeID: string(st.NodeInfo.DefaultNodeID), Moniker: st.NodeInfo.Moniker,
		Height: st.SyncInfo.LatestBlockHeight, BlockHash: st.SyncInfo.LatestBlockHash.String(),
		AppHash: st.SyncInfo.LatestAppHash.String(), BlockTime: st.SyncInfo.LatestBlockTime,
		CatchingUp: st.SyncInfo.CatchingUp,
	}
	if st.ValidatorInfo.VotingPower > 0 {
		out.ValidatorAddress = st.ValidatorInfo.Address.String()
	}
	reply(w, out)
}

func (s *server) account(w http.ResponseWriter, r *http.Request) {
	addr, err := address.Parse(r.PathValue("address"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error(), "addresses look like prv1...; `provernet keys list` shows yours")
		return
	}
	if answeredProven(w, r, func(height int64) { s.provenAccount(w, r, addr, height) }) {
		return
	}
	a, resp, ok := queryAs[pb.Account](s, w, r, chain.PathAccount, addr[:])
	if !ok {
		return
	}
	reply(w, wire.Account{Address: addr.String(), Balance: a.Balance, Nonce: a.Nonce, Height: resp.Height})
}

func (s *server) broadcast(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tx string `json:"tx"` // base64
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBody), "")
			return
		}
		fail(w, http.StatusBadRequest, "body must be JSON {\"tx\": \"<base64>\"}: "+err.Error(), "")
		return
	}
	raw, err := base64.StdEncoding.DecodeString(req.Tx)
	if err != nil || len(raw) == 0 {
		fail(w, http.StatusBadRequest, "tx is not non-empty standard base64", "")
		return
	}
	res, err := s.b.BroadcastTxSync(r.Context(), types.Tx(raw))
	if err != nil {
		broadcastFailed(w, raw, err)
		return
	}
	out := wire.BroadcastResult{Hash: res.Hash.String(), Code: res.Code, CodeName: wire.Code(res.Code).String(), Codespace: res.Codespace, Log: res.Log}
	if res.Code != 0 {
		writeJSON(w, http.StatusUnprocessableEntity, out)
		return
	}
	reply(w, out)
}

// broadcastFailed reports why the mempool did not take a transaction.
// CometBFT v1 returns a CheckTx rejection as an error; it becomes the same
// 422 BroadcastResult a code in a result would.
func broadcastFailed(w http.ResponseWriter, raw []byte, err error) {
	var inv mempool.ErrInvalidTx
	switch {
	case errors.As(err, &inv):
		writeJSON(w, http.StatusUnprocessableEntity, wire.BroadcastResult{
			Hash: fmt.Sprintf("%X", types.Tx(raw).Hash()), Code: inv.Code,
			CodeName: wire.Code(inv.Code).String(), Codespace: inv.Codespace, Log: inv.Log})
	case errors.Is(err, mempool.ErrTxInCache), errors.Is(err, mempool.ErrTxInMempool):
		fail(w, http.StatusConflict, "this transaction was already received", "it is pending or committed; look it up with `provernet query tx HASH`")
	case errors.Is(err, mempool.ErrRecheckFull) || strings.Contains(err.Error(), "mempool is full"):
		failWith(w, http.StatusServiceUnavailable, wire.APIMempoolFull, "mempool is full: "+err.Error(), "retry after the next block")
	default:
		unavailable(w, err)
	}
}

func (s *server) tx(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil || len(hash) != 32 {
		fail(w, http.StatusBadRequest, "a transaction hash is 64 hex digits", "")
		return
	}
	res, err := s.b.Tx(r.Context(), hash, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			fail(w, http.StatusNotFound, "transaction "+strings.ToUpper(r.PathValue("hash"))+" is not in a committed block", "it may still be in the mempool; try again after the next block")
			return
		}
		unavailable(w, err)
		return
	}
	reply(w, TxResult(res.Hash, res.Height, res.Index, &res.TxResult))
}

// TxResult converts a CometBFT execution result to the API's form.
func TxResult(hash cmtbytes.HexBytes, height int64, index uint32, r *abci.ExecTxResult) wire.TxResult {
	out := wire.TxResult{Hash: hash.String(), Height: height, Index: index, Code: r.Code,
		CodeName: wire.Code(r.Code).String(), Codespace: r.Codespace, Log: r.Log}
	for _, e := range r.Events {
		ev := wire.Event{Type: e.Type, Attrs: map[string]string{}}
		for _, a := range e.Attributes {
			ev.Attrs[a.Key] = a.Value
		}
		out.Events = append(out.Events, ev)
	}
	return out
}

func (s *server) beacon(w http.ResponseWriter, r *http.Request) {
	var data []byte
	if h := r.PathValue("height"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 1 {
			fail(w, http.StatusBadRequest, "height must be a positive integer", "")
			return
		}
		data = binary.BigEndian.AppendUint64(nil, uint64(n))
	}
	e, _, ok := queryAs[pb.BeaconEntry](s, w, r, chain.PathBeacon, data)
	if !ok {
		return
	}
	reply(w, wire.Beacon{Height: e.Height, Proposer: fmt.Sprintf("%X", e.Proposer), Pi: hex.EncodeToString(e.Pi),
		Beta: hex.EncodeToString(e.Beta), PrevSeed: hex.EncodeToString(e.PrevSeed), Seed: hex.EncodeToString(e.Seed)})
}

func (s *server) block(w http.ResponseWriter, r *http.Request) {
	var height *int64
	if h := r.PathValue("height"); h != "latest" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 1 {
			fail(w, http.StatusBadRequest, "height must be a positive integer or \"latest\"", "")
			return
		}
		height = &n
	}
	res, err := s.b.Block(r.Context(), height)
	if err != nil {
		fail(w, http.StatusNotFound, "no such block: "+err.Error(), "")
		return
	}
	b := res.Block
	out := wire.Block{Height: b.Height, Hash: res.BlockID.Hash.String(), Time: b.Time,
		Proposer: b.ProposerAddress.String(), NumTxs: len(b.Txs), AppHash: b.AppHash.String(), TxHashes: []string{}}
	for _, tx := range b.Txs {
		out.TxHashes = append(out.TxHashes, fmt.Sprintf("%X", tx.Hash()))
	}
	reply(w, out)
}

func (s *server) params(w http.ResponseWriter, r *http.Request) {
	resp, ok := s.query(w, r.Context(), chain.PathParams, nil)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(resp.Value)
}

func (s *server) supply(w http.ResponseWriter, r *http.Request) {
	sp, resp, ok := queryAs[pb.Supply](s, w, r, chain.PathSupply, nil)
	if !ok {
		return
	}
	reply(w, wire.Supply{Genesis: sp.Genesis, Minted: sp.Minted, Burned: sp.Burned, Height: resp.Height})
}

// queryAs runs an ABCI query and decodes its value as a T, writing the
// error response itself on failure.
func queryAs[T any, PT interface {
	*T
	proto.Message
}](s *server, w http.ResponseWriter, r *http.Request, path string, data []byte) (PT, *abci.QueryResponse, bool) {
	resp, ok := s.query(w, r.Context(), path, data)
	if !ok {
		return nil, nil, false
	}
	v := PT(new(T))
	if err := proto.Unmarshal(resp.Value, v); err != nil {
		fail(w, http.StatusInternalServerError, fmt.Sprintf("failed to decode %s: %v", path, err), "")
		return nil, nil, false
	}
	return v, resp, true
}

// query runs an ABCI query, writing the error response itself on failure.
func (s *server) query(w http.ResponseWriter, ctx context.Context, path string, data []byte) (*abci.QueryResponse, bool) {
	res, err := s.b.ABCIQuery(ctx, path, data)
	if err != nil {
		unavailable(w, err)
		return nil, false
	}
	resp := &res.Response
	switch resp.Code {
	case chain.QueryOK:
		return resp, true
	case chain.QueryNotFound:
		fail(w, http.StatusNotFound, resp.Log, "")
	case chain.QueryNoState:
		failWith(w, http.StatusServiceUnavailable, wire.APINoState, resp.Log, "the node has not committed its first block yet (retry in a moment), or no longer keeps that version of the state")
	case chain.QueryBusy:
		w.Header().Set("Retry-After", "1")
		failWith(w, http.StatusServiceUnavailable, wire.APIBusy, resp.Log, "retry in a moment")
	default:
		fail(w, http.StatusBadRequest, resp.Log, "")
	}
	return nil, false
}

func unavailable(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	fail(w, http.StatusServiceUnavailable, "node unavailable: "+err.Error(), "is the node running and caught up? `provernet query status` tells")
}

func fail(w http.ResponseWriter, status int, msg, hint string) {
	failWith(w, status, codeFor(status), msg, hint)
}

func reply(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// Compact: indenting took a fifth of a workload page's time
	// (`bench api`); `jq .` makes it readable.
	_ = json.NewEncoder(w).Encode(v)
}
