package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/provernet/provernet/wire"
)

// ProvenAccount, ProvenProver and ProvenWorkload fetch a record's proof
// (?prove=true) at a state height (0: the latest): the stored bytes and an
// ICS-23 proof against the app hash in the header of Proof.Height+1. An
// unknown prover or workload answers its proof of absence (Exists false)
// with no error. Nothing here checks the proof: package client/verify
// does, against a light-client verified header.
func (c *Client) ProvenAccount(ctx context.Context, addr string, height int64) (*wire.Proof, error) {
	return c.proof(ctx, "/v1/accounts/"+url.PathEscape(addr), height)
}

// ProvenProver fetches a prover's proof; see ProvenAccount.
func (c *Client) ProvenProver(ctx context.Context, addr string, height int64) (*wire.Proof, error) {
	return c.proof(ctx, "/v1/provers/"+url.PathEscape(addr), height)
}

// ProvenWorkload fetches a workload's proof (by hex id); see ProvenAccount.
func (c *Client) ProvenWorkload(ctx context.Context, id string, height int64) (*wire.Proof, error) {
	return c.proof(ctx, "/v1/workloads/"+url.PathEscape(id), height)
}

// LightBlock fetches the signed header and validator set of a height (0:
// the latest block), for a light client to verify.
func (c *Client) LightBlock(ctx context.Context, height int64) (*wire.LightBlock, error) {
	h := "latest"
	if height > 0 {
		h = strconv.FormatInt(height, 10)
	}
	var lb wire.LightBlock
	return &lb, c.get(ctx, "/v1/light/"+h, &lb)
}

// proof fetches path?prove=true and returns its "proof", from a 200 or
// from the 404 of an absent record.
func (c *Client) proof(ctx context.Context, path string, height int64) (*wire.Proof, error) {
	q := url.Values{"prove": {"true"}}
	if height > 0 {
		q.Set("height", strconv.FormatInt(height, 10))
	}
	var ans struct {
		Proof *wire.Proof `json:"proof"`
	}
	err := c.get(ctx, path+"?"+q.Encode(), &ans)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound && json.Unmarshal(se.Body, &ans) == nil && ans.Proof != nil {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if ans.Proof == nil {
		return nil, fmt.Errorf("the node's answer to %s carries no proof; is it older than proofs?", path)
	}
	return ans.Proof, nil
}
