package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/pb"
)

// connect waits for the node to have caught up with the chain (a node
// still syncing refuses transactions), reads the chain's parameters and
// registers the prover if asked to.
func (d *Daemon) connect(ctx context.Context) error {
	for {
		h, chainID, catchingUp, err := d.chain.status(ctx)
		if err == nil && h > 0 && !catchingUp {
			d.signer.chainID = chainID
			if d.saved.Height == 0 {
				d.saved.Height = h - 1 // a new daemon starts at the present
			}
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.cfg.Poll):
		}
	}
	var err error
	if d.params, err = d.chain.params(ctx); err != nil {
		return err
	}
	d.signer.fees = client.FeeParams{FeePerByte: d.params.FeePerByte, FeePerMsg: d.params.FeePerMsg,
		FeePerWeight: d.params.FeePerWeight, AdmissionChallenges: d.params.AdmissionChallenges}
	if err := d.register(ctx); err != nil {
		return err
	}
	if err := d.checkHotKey(ctx); err != nil {
		return err
	}
	return d.setAsks(ctx) // issue 17
}

// register registers and stakes the prover when Config.Register asks
// for it and the chain does not know it yet.
func (d *Daemon) register(ctx context.Context) error {
	r := d.cfg.Register
	if r == nil {
		return nil
	}
	if _, err := d.chain.prover(ctx, d.addr[:]); err == nil {
		return nil
	} else if !errors.Is(err, errNotFound) {
		return err
	}
	vrfKey, err := newVRFKey(d.cfg.vrfKeyFile())
	if err != nil {
		return err
	}
	msgs := []*pb.Msg{
		{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey,
			Hardware: r.Hardware(), MaxConcurrent: r.MaxConcurrent, BlobEndpoint: r.BlobEndpoint, Label: r.Label}}},
		{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: r.Stake}}},
	}
	if err := d.signer.send(ctx, d.chain, msgs...); err != nil {
		return fmt.Errorf("failed to register: %w", err)
	}
	d.cfg.Log.Info("registered", "prover", d.addr.String(), "stake", r.Stake)
	return nil
}

// checkHotKey, when the daemon signs with a hot key, checks that the
// chain names that key as the prover's: otherwise every routine message
// it sent would act for the key's own account and be refused.
func (d *Daemon) checkHotKey(ctx context.Context) error {
	if d.signer.addr == d.addr {
		return nil
	}
	p, err := d.chain.prover(ctx, d.addr[:])
	if err != nil {
		return fmt.Errorf("prover %s: %w", d.addr, err)
	}
	if !bytes.Equal(p.HotKey, d.signer.addr[:]) {
		return fmt.Errorf("key %s is not the hot key of prover %s on this chain; name it with `provernet tx prover hot-key <this key's name> --from <the prover's key>`", d.signer.addr, d.addr)
	}
	acct, err := d.chain.account(ctx, d.signer.addr[:])
	if err != nil {
		return err
	}
	if acct.Balance < minHotKeyFees*d.params.FeePerMsg {
		return fmt.Errorf("hot key %s holds %d uprv, too little for the fees of its next transactions (at least %d); fund it with `provernet tx transfer --to %s`", d.signer.addr, acct.Balance, minHotKeyFees*d.params.FeePerMsg, d.signer.addr)
	}
	d.cfg.Log.Info("working with a hot key", "prover", d.addr.String(), "hot_key", d.signer.addr.String(), "balance", acct.Balance)
	return nil
}

// minHotKeyFees is how many messages' fees a hot key must hold at start:
// a few blocks' work, so that an unfunded key is found at start rather
// than at the first window it misses.
const minHotKeyFees = 10

// stillHotKey stops a daemon whose hot key the chain no longer names for
// its prover (revoked, replaced or resigned): anything it signed would act
// for the key's own account, or, were another prover to name the key, for
// that one.
func (d *Daemon) stillHotKey() error {
	if d.signer.addr == d.addr || d.me == nil || bytes.Equal(d.me.HotKey, d.signer.addr[:]) {
		return nil
	}
	return fmt.Errorf("%w: key %s is no longer the hot key of prover %s; stopping", ErrHotKeyGone, d.signer.addr, d.addr)
}

// ErrHotKeyGone stops a daemon whose hot key was revoked or replaced.
var ErrHotKeyGone = errors.New("hot key revoked")

// newVRFKey makes the prover's VRF key, kept beside its state (or where
// Config.VRFKeyFile says); a registration that did not land sends the
// same key again.
func newVRFKey(path string) ([]byte, error) {
	k, err := vrf.LoadOrGenerateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to keep the VRF key: %w", err)
	}
	return k.Public, nil
}
