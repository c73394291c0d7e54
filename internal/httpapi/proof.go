package httpapi

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

// Proven answers (?prove=true[&height=H]) of the account, prover and
// workload routes, and GET /v1/light/{height}, which gives a light client
// the signed header and validators to check a proof's app hash against.
// The node proves; it is the client (client/verify) that must not trust it.

// proofParams reads ?prove= and ?height=, writing a 400 itself. height 0
// is the latest committed state; a height is only taken with prove=true.
func proofParams(w http.ResponseWriter, r *http.Request) (prove bool, height int64, ok bool) {
	q := r.URL.Query()
	switch q.Get("prove") {
	case "", "false":
	case "true":
		prove = true
	default:
		fail(w, http.StatusBadRequest, "prove must be true or false", "")
		return false, 0, false
	}
	if h := q.Get("height"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 1 {
			fail(w, http.StatusBadRequest, "height must be a positive integer", "a committed height the node still keeps")
			return false, 0, false
		}
		if !prove {
			fail(w, http.StatusBadRequest, "height is only taken with prove=true", "")
			return false, 0, false
		}
		height = n
	}
	return prove, height, true
}

// answeredProven serves ?prove=true with answer, and a malformed prove or
// height with a 400; it reports whether it answered the request.
func answeredProven(w http.ResponseWriter, r *http.Request, answer func(height int64)) bool {
	prove, height, ok := proofParams(w, r)
	if ok && prove {
		answer(height)
	}
	return !ok || prove
}

// The proven answers: the usual record's fields, and "proof".
type (
	provenAccountAnswer struct {
		wire.Account
		Proof *wire.Proof `json:"proof"`
	}
	provenProverAnswer struct {
		wire.Prover
		Proof *wire.Proof `json:"proof"`
	}
	provenWorkloadAnswer struct {
		wire.Workload
		Proof *wire.Proof `json:"proof"`
	}
)

// proven runs a proven query of one record and decodes it as a T; an
// absent record is answered here (404 with the proof of its absence).
func proven[T any, PT interface {
	*T
	proto.Message
}](s *server, w http.ResponseWriter, r *http.Request, path string, data []byte, height int64) (PT, *wire.Proof, bool) {
	res, err := s.b.ABCIQueryWithOptions(r.Context(), path, data, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		unavailable(w, err)
		return nil, nil, false
	}
	resp := &res.Response
	proof := proofOf(resp)
	switch {
	case resp.Code == chain.QueryNotFound && proof != nil:
		writeJSON(w, http.StatusNotFound, struct {
			wire.APIError
			Proof *wire.Proof `json:"proof"`
		}{wire.APIError{Message: resp.Log, Hint: "the proof shows the key is absent at height " + strconv.FormatInt(resp.Height, 10)}, proof})
		return nil, nil, false
	case resp.Code != chain.QueryOK:
		failQuery(w, resp)
		return nil, nil, false
	case proof == nil:
		fail(w, http.StatusInternalServerError, "the node answered "+path+" without a proof", "")
		return nil, nil, false
	}
	v := PT(new(T))
	if err := proto.Unmarshal(resp.Value, v); err != nil {
		fail(w, http.StatusInternalServerError, "failed to decode "+path+": "+err.Error(), "")
		return nil, nil, false
	}
	return v, proof, true
}

// proofOf is the wire form of a proven query's answer, nil without proof
// operations.
func proofOf(resp *abci.QueryResponse) *wire.Proof {
	if resp.ProofOps == nil || len(resp.ProofOps.Ops) == 0 {
		return nil
	}
	p := &wire.Proof{Height: resp.Height, Key: hex.EncodeToString(resp.Key), Exists: resp.Value != nil, Value: resp.Value}
	for _, op := range resp.ProofOps.Ops {
		p.Ops = append(p.Ops, wire.ProofOp{Type: op.Type, Key: op.Key, Data: op.Data})
	}
	return p
}

// failQuery answers a failed query as server.query does.
func failQuery(w http.ResponseWriter, resp *abci.QueryResponse) {
	switch resp.Code {
	case chain.QueryNotFound:
		fail(w, http.StatusNotFound, resp.Log, "")
	case chain.QueryNoState:
		fail(w, http.StatusServiceUnavailable, resp.Log, "the node has not committed that height yet, or no longer keeps that version of the state")
	case chain.QueryBusy:
		w.Header().Set("Retry-After", "1")
		fail(w, http.StatusServiceUnavailable, resp.Log, "retry in a moment")
	default:
		fail(w, http.StatusBadRequest, resp.Log, "")
	}
}

func (s *server) provenAccount(w http.ResponseWriter, r *http.Request, addr address.Address, height int64) {
	a, proof, ok := proven[pb.Account](s, w, r, chain.PathAccount, addr[:], height)
	if !ok {
		return
	}
	reply(w, provenAccountAnswer{record.Account(addr, a, proof.Height), proof})
}

func (s *server) provenProver(w http.ResponseWriter, r *http.Request, addr address.Address, height int64) {
	p, proof, ok := proven[pb.Prover](s, w, r, chain.PathProver, addr[:], height)
	if !ok {
		return
	}
	reply(w, provenProverAnswer{record.Prover(p), proof})
}

func (s *server) provenWorkload(w http.ResponseWriter, r *http.Request, id []byte, height int64) {
	wl, proof, ok := proven[pb.Workload](s, w, r, chain.PathWorkload, id, height)
	if !ok {
		return
	}
	reply(w, provenWorkloadAnswer{record.Workload(wl), proof})
}

// maxValidatorPages bounds the pages of 100 validators a light answer
// reads.
const maxValidatorPages = 100

// light serves GET /v1/light/{height}: the signed header of a height
// ("latest": the newest block) and its validator set, in CometBFT's JSON.
func (s *server) light(w http.ResponseWriter, r *http.Request) {
	var height *int64
	if h := r.PathValue("height"); h != "latest" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 1 {
			fail(w, http.StatusBadRequest, "height must be a positive integer or \"latest\"", "")
			return
		}
		height = &n
	}
	c, err := s.b.Commit(r.Context(), height)
	if err != nil {
		noHeight(w, err)
		return
	}
	h := c.Height
	vals, err := s.validators(r, h)
	if err != nil {
		noHeight(w, err)
		return
	}
	sh, err := cmtjson.Marshal(c.SignedHeader)
	if err != nil {
		fail(w, http.StatusInternalServerError, "failed to encode the signed header: "+err.Error(), "")
		return
	}
	vs, err := cmtjson.Marshal(vals)
	if err != nil {
		fail(w, http.StatusInternalServerError, "failed to encode the validator set: "+err.Error(), "")
		return
	}
	reply(w, wire.LightBlock{Height: h, Canonical: c.CanonicalCommit, SignedHeader: sh, ValidatorSet: vs})
}

// validators reads the validator set of a height, page by page.
func (s *server) validators(r *http.Request, height int64) (*types.ValidatorSet, error) {
	var all []*types.Validator
	perPage := 100
	for page := 1; page <= maxValidatorPages; page++ {
		res, err := s.b.Validators(r.Context(), &height, &page, &perPage)
		if err != nil {
			return nil, err
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	return types.ValidatorSetFromExistingValidators(all)
}

// noHeight answers a height the node has no header or validators for.
func noHeight(w http.ResponseWriter, err error) {
	if strings.Contains(err.Error(), "height") {
		fail(w, http.StatusNotFound, "no light block: "+err.Error(), "the node has headers from its oldest kept block to its latest; `provernet query status` shows the latest")
		return
	}
	unavailable(w, err)
}
