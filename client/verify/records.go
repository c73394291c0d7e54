package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

// Anchor is what a verified record was proven against.
type Anchor struct {
	Height int64  // the state's version: the record as of the end of block Height
	Header Header // the verified header of Height+1, whose AppHash the proof checks
	Exists bool   // false: the proof shows the record absent
}

// VerifiedAccount returns an account as of the state at height (0: the
// newest the node has a verified header after), proven against a verified
// header. An account never written is proven absent and returned all zero
// (Anchor.Exists false), as the chain treats it.
func (v *Verifier) VerifiedAccount(ctx context.Context, addr string, height int64) (*wire.Account, *Anchor, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return nil, nil, err
	}
	val, an, err := v.proven(ctx, height, record.AccountKey(a), func(ctx context.Context, h int64) (*wire.Proof, error) {
		return v.c.ProvenAccount(ctx, addr, h)
	})
	if err != nil {
		return nil, an, err
	}
	var acct *pb.Account
	if an.Exists {
		acct = new(pb.Account)
		if err := proto.Unmarshal(val, acct); err != nil {
			return nil, an, fmt.Errorf("%w: account %s: %v", ErrValue, addr, err)
		}
	}
	out := record.Account(a, acct, an.Height)
	return &out, an, nil
}

// VerifiedProver returns a registered prover, proven as VerifiedAccount
// is. An unknown prover is an error wrapping ErrAbsent (and
// client.ErrNotFound) once its absence is proven.
func (v *Verifier) VerifiedProver(ctx context.Context, addr string, height int64) (*wire.Prover, *Anchor, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return nil, nil, err
	}
	val, an, err := v.proven(ctx, height, record.ProverKey(a), func(ctx context.Context, h int64) (*wire.Proof, error) {
		return v.c.ProvenProver(ctx, addr, h)
	})
	if err != nil {
		return nil, an, err
	}
	if !an.Exists {
		return nil, an, absent("prover "+addr, an)
	}
	var p pb.Prover
	if err := proto.Unmarshal(val, &p); err != nil {
		return nil, an, fmt.Errorf("%w: prover %s: %v", ErrValue, addr, err)
	}
	if !bytes.Equal(p.Address, a[:]) {
		return nil, an, fmt.Errorf("%w: the record under prover %s's key names prover %x", ErrValue, addr, p.Address)
	}
	out := record.Prover(&p)
	return &out, an, nil
}

// VerifiedWorkload returns a workload (by hex id) as the state stores it,
// proven as VerifiedAccount is. The stored record's slots carry no running
// votes (the chain keeps those in ballots until a vote ends), so a slot
// still voting shows none. An unknown workload is an error wrapping
// ErrAbsent (and client.ErrNotFound) once its absence is proven.
func (v *Verifier) VerifiedWorkload(ctx context.Context, id string, height int64) (*wire.Workload, *Anchor, error) {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != 32 {
		return nil, nil, fmt.Errorf("%q is not a workload id (64 hex digits)", id)
	}
	val, an, err := v.proven(ctx, height, record.WorkloadKey(raw), func(ctx context.Context, h int64) (*wire.Proof, error) {
		return v.c.ProvenWorkload(ctx, id, h)
	})
	if err != nil {
		return nil, an, err
	}
	if !an.Exists {
		return nil, an, absent("workload "+id, an)
	}
	var w pb.Workload
	if err := proto.Unmarshal(val, &w); err != nil {
		return nil, an, fmt.Errorf("%w: workload %s: %v", ErrValue, id, err)
	}
	if !bytes.Equal(w.Id, raw) {
		return nil, an, fmt.Errorf("%w: the record under workload %s's key is workload %x", ErrValue, id, w.Id)
	}
	out := record.Workload(&w)
	return &out, an, nil
}

// proven verifies the header after height (height 0: the newest header,
// and the state before it), fetches the proof of key at height and checks
// it against that header's app hash. It returns the proven value.
func (v *Verifier) proven(ctx context.Context, height int64, key []byte,
	fetch func(context.Context, int64) (*wire.Proof, error)) ([]byte, *Anchor, error) {
	var hdr *lightBlock
	var err error
	if height > 0 {
		hdr, err = v.header(ctx, height+1)
	} else if hdr, err = v.header(ctx, 0); err == nil {
		height = hdr.Height - 1
		if height < 1 {
			return nil, nil, fmt.Errorf("the chain has no committed state before header %d yet; retry after the next block", hdr.Height)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	an := &Anchor{Height: height, Header: Header{Height: hdr.Height, Hash: hdr.Hash(), AppHash: hdr.AppHash, Time: hdr.Time, ChainID: hdr.ChainID}}
	p, err := fetch(ctx, height)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to fetch the proof at height %d: %w", height, err)
	}
	if p == nil {
		return nil, nil, fmt.Errorf("%w: the node sent no proof", ErrProof)
	}
	if p.Height != height {
		return nil, nil, fmt.Errorf("%w: asked for the state at height %d, the proof is of %d", ErrProof, height, p.Height)
	}
	if err := checkProof(p, key, hdr.AppHash); err != nil {
		return nil, nil, fmt.Errorf("state at height %d, app hash of header %d: %w", height, hdr.Height, err)
	}
	an.Exists = p.Exists
	return p.Value, an, nil
}

func absent(what string, an *Anchor) error {
	return fmt.Errorf("%w (%w): %s at height %d, by the app hash of header %d", ErrAbsent, client.ErrNotFound, what, an.Height, an.Header.Height)
}
