package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// RunRequest describes a Run: a program, its input files, the cycles each
// prover may use, k provers, the age recipient the results are sealed to
// and a deadline in blocks (0: the chain's minimum for the cycles plus
// DefaultDeadlineSlack).
type RunRequest struct {
	Program   string // hex program id
	Inputs    []RunInput
	Cycles    uint64
	Provers   uint32
	Recipient string
	Deadline  int64
	MaxFee    uint64 // refuse if the fee would be higher (0: no limit)
	// Market, if set, matches the Run against the provers' asks instead of
	// the lottery (issue 17): it escrows k slots at Market.MaxPrice, pays
	// the asks matched, and refunds the rest.
	Market *MarketRequest
}

// RunInput is one input file, mounted under Name in the program's /in.
type RunInput struct {
	Name string
	Data []byte
}

// Submitted is a Run the node accepted into its mempool.
type Submitted struct {
	Workload string // hex id, known before the Run is in a block
	TxHash   string
	Fee      uint64 // the fee the Run escrows
}

// ErrOverMaxFee is returned when a Run's fee is above its MaxFee; nothing
// is sent.
var ErrOverMaxFee = errors.New("the fee is above the maximum")

// SubmitRun builds and sends a Run from key. Inputs above the chain's
// max_inline_input are named by hash in the Run and uploaded to the node's
// blob store right after it: a blob that a Run in the node's mempool names
// is referenced, so the node never refuses it for its quota of unreferenced
// uploads, which anyone can fill (docs/SECURITY.md, "Blob uploads").
// Provers fetching an input before its upload ends try again. If an upload
// still fails, SubmitRun returns the Submitted Run with an error that says
// how to finish it.
func (c *Client) SubmitRun(ctx context.Context, key *Key, req RunRequest) (*Submitted, error) {
	pr, err := c.prepareRun(ctx, req)
	if err != nil {
		return nil, err
	}
	q, msg, uploads := pr.quote, pr.msg, pr.uploads
	if req.MaxFee > 0 && q.Fee > req.MaxFee {
		return nil, fmt.Errorf("%w: the Run costs %d uprv, the maximum is %d", ErrOverMaxFee, q.Fee, req.MaxFee)
	}
	raw, nonce, err := c.signNext(ctx, key, 0, FeeParamsOf(pr.params), msg)
	if err != nil {
		return nil, err
	}
	res, err := c.Broadcast(ctx, raw)
	if err != nil {
		return nil, err
	}
	id := wire.WorkloadID(address.FromPublicKey(key.PublicKey()), nonce, 0)
	sub := &Submitted{Workload: hex.EncodeToString(id), TxHash: res.Hash, Fee: q.Fee}
	for _, in := range uploads {
		if err := c.PutReferencedBlob(ctx, in.Data); err != nil {
			return sub, fmt.Errorf("the Run %s was sent, but input %s (%d bytes) did not upload: %w; "+
				"upload it again (provernet blob put) before the Run's deadline: provers that still cannot fetch it then answer fail",
				sub.Workload, in.Name, len(in.Data), err)
		}
	}
	return sub, nil
}

// preparedRun is a Run message as SubmitRun and QuoteRun build it, with
// what they read to build it.
type preparedRun struct {
	params  *wire.Params
	quote   *wire.FeeQuote
	msg     *Msg
	uploads []RunInput // the inputs sent as blobs after the Run
}

// prepareRun checks req's inputs, reads the chain's params and the fee
// quote, and builds the Run message.
func (c *Client) prepareRun(ctx context.Context, req RunRequest) (*preparedRun, error) {
	if err := CheckInputs(req.Inputs); err != nil {
		return nil, err
	}
	params, err := c.Params(ctx)
	if err != nil {
		return nil, err
	}
	var q *wire.FeeQuote
	if req.Market != nil {
		q, err = c.MarketFee(ctx, req.Program, req.Cycles, req.Provers, req.Deadline, *req.Market)
	} else {
		q, err = c.Fee(ctx, req.Program, req.Cycles, req.Provers)
	}
	if err != nil {
		return nil, err
	}
	msg, uploads, err := runMsg(req, params.MaxInlineInput, q.MinDeadline)
	if err != nil {
		return nil, err
	}
	return &preparedRun{params: params, quote: q, msg: msg, uploads: uploads}, nil
}

// CheckInputs refuses inputs the chain would refuse by name: each name
// passes wire.CheckInputName (a plain file name, never the proof's), and
// no two differ only in case.
func CheckInputs(ins []RunInput) error {
	for i, in := range ins {
		if err := wire.CheckInputName(in.Name); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		for _, prev := range ins[:i] {
			if wire.SameInputName(prev.Name, in.Name) {
				return fmt.Errorf("input %d: %q and %q would be the same file", i, prev.Name, in.Name)
			}
		}
	}
	return nil
}

// PutReferencedBlob uploads a blob that a transaction just sent names (a
// Run's input, a Deploy's module), trying again a few times while the node
// asks to wait (429, 503) or has not yet admitted the transaction (507: the
// blob is still unreferenced and the quota full).
func (c *Client) PutReferencedBlob(ctx context.Context, data []byte) error {
	var err error
	for attempt := range 5 {
		if _, err = c.PutBlob(ctx, bytes.NewReader(data)); err == nil || !retryableUpload(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 500 * time.Millisecond):
		}
	}
	return err
}

// retryableUpload reports whether an upload's error may clear by itself.
func retryableUpload(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return true // the network: worth another try
	}
	switch se.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInsufficientStorage:
		return true
	}
	return false
}

// runMsg builds the Run, and lists the inputs too large to go inline,
// which the Run names by hash and which must be uploaded after it.
func runMsg(req RunRequest, maxInline uint64, minDeadline int64) (*Msg, []RunInput, error) {
	prog, err := hex.DecodeString(req.Program)
	if err != nil {
		return nil, nil, fmt.Errorf("program id %q is not hex", req.Program)
	}
	run := &pb.Run{Program: prog, Cycles: req.Cycles, Provers: req.Provers, Recipient: req.Recipient,
		Deadline: req.Deadline, MaxFee: req.MaxFee}
	if run.Deadline == 0 {
		run.Deadline = minDeadline + DefaultDeadlineSlack
	}
	if req.Market != nil {
		if run.Market, err = req.Market.order(); err != nil {
			return nil, nil, err
		}
	}
	var uploads []RunInput
	for _, in := range req.Inputs {
		if uint64(len(in.Data)) <= maxInline {
			run.Inputs = append(run.Inputs, &pb.Input{Name: in.Name, Data: in.Data})
			continue
		}
		sum := sha256.Sum256(in.Data)
		run.Inputs = append(run.Inputs, &pb.Input{Name: in.Name, Sha256: sum[:], Size: uint64(len(in.Data))})
		uploads = append(uploads, in)
	}
	return &pb.Msg{Kind: &pb.Msg_Run{Run: run}}, uploads, nil
}
