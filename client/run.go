package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// RunRequest describes a Run: a program, its input files, the cycles each
// prover may use, k provers, the age recipient the results are sealed to
// and a deadline in blocks (0: the chain's minimum plus 100 blocks of slack).
type RunRequest struct {
	Program   string // hex program id
	Inputs    []RunInput
	Cycles    uint64
	Provers   uint32
	Recipient string
	Deadline  int64
	MaxFee    uint64 // refuse if the fee would be higher (0: no limit)
}

// RunInput is one input file.
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

// SubmitRun builds and sends a Run from key. Inputs above the chain's
// max_inline_input are named by hash in the Run and uploaded to the node's
// blob store right after it: a blob that a Run in the node's mempool names
// is referenced, so the node never refuses it for its quota of unreferenced
// uploads, which anyone can fill (docs/SECURITY.md, "Blob uploads").
// Provers fetching an input before its upload ends try again. If an upload
// still fails, SubmitRun returns the Submitted Run with an error that says
// how to finish it.
func (c *Client) SubmitRun(ctx context.Context, key *Key, req RunRequest) (*Submitted, error) {
	var params struct {
		FeeParams
		MaxInlineInput uint64 `json:"max_inline_input"`
	}
	if err := c.get(ctx, "/v1/params", &params); err != nil {
		return nil, err
	}
	q, err := c.Fee(ctx, req.Program, req.Cycles, req.Provers)
	if err != nil {
		return nil, err
	}
	msg, uploads, err := c.runMsg(req, params.MaxInlineInput, q.MinDeadline)
	if err != nil {
		return nil, err
	}
	raw, nonce, err := c.signNext(ctx, key, 0, params.FeeParams, msg)
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
	var se *statusError
	if !errors.As(err, &se) {
		return true // the network: worth another try
	}
	switch se.status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInsufficientStorage:
		return true
	}
	return false
}

// runMsg builds the Run, and lists the inputs too large to go inline,
// which the Run names by hash and which must be uploaded after it.
func (c *Client) runMsg(req RunRequest, maxInline uint64, minDeadline int64) (*Msg, []RunInput, error) {
	prog, err := hex.DecodeString(req.Program)
	if err != nil {
		return nil, nil, fmt.Errorf("program id %q is not hex", req.Program)
	}
	run := &pb.Run{Program: prog, Cycles: req.Cycles, Provers: req.Provers, Recipient: req.Recipient,
		Deadline: req.Deadline, MaxFee: req.MaxFee}
	if run.Deadline == 0 {
		run.Deadline = minDeadline + 100
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

// WaitWorkload polls a workload until done returns true or ctx ends,
// calling seen (if not nil) every time the workload changes.
func (c *Client) WaitWorkload(ctx context.Context, id string, every time.Duration, seen func(*wire.Workload), done func(*wire.Workload) bool) (*wire.Workload, error) {
	var last string
	for {
		w, err := c.Workload(ctx, id)
		switch {
		case err == nil:
			if sig := workloadSignature(w); sig != last && seen != nil {
				last = sig
				seen(w)
			}
			if done(w) {
				return w, nil
			}
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(every):
		}
	}
}

func workloadSignature(w *wire.Workload) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%v", w.State, w.Settled)
	for _, s := range w.Slots {
		fmt.Fprintf(&b, "|%s:%s", s.State, s.Prover)
	}
	return b.String()
}

// OpenResult downloads a slot's sealed result and opens it with identity
// (the user's own, or the revealed temporary one).
func (c *Client) OpenResult(ctx context.Context, id string, slot uint32, identity string, maxProof int) (seal.Header, []byte, []byte, error) {
	file, err := c.SealedResult(ctx, id, slot)
	if err != nil {
		return seal.Header{}, nil, nil, err
	}
	h, proof, err := seal.Open(file, identity, maxProof)
	return h, proof, file, err
}

// LoadOrCreateIdentity reads the age X25519 identity in path (the format of
// age-keygen, so any age tool can use the file), or creates it (mode 0600).
func LoadOrCreateIdentity(path string) (*age.X25519Identity, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		// Written aside and linked into place: two first runs at once
		// cannot overwrite each other's identity; the loser reads the
		// winner's.
		text := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
		tmp, err := os.CreateTemp(filepath.Dir(path), ".identity-*")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.WriteString(text); err != nil {
			tmp.Close()
			return nil, err
		}
		if err := tmp.Close(); err != nil {
			return nil, err
		}
		if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
			return LoadOrCreateIdentity(path)
		} else if err != nil {
			return nil, err
		}
		return id, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "AGE-SECRET-KEY-1") {
			return age.ParseX25519Identity(line)
		}
	}
	return nil, fmt.Errorf("%s holds no X25519 age identity", path)
}

// IdentityFile is where a key's age identity lives under a home.
func IdentityFile(home, name string) string { return filepath.Join(DefaultKeysDir(home), name+".age") }
