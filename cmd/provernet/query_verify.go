package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client/verify"
	"github.com/provernet/provernet/internal/cli"
)

// --verify on `query account|prover|workload`: the record is checked
// against the chain's app hash in a header a light client verified from a
// trust root (package client/verify), so the answer does not rest on
// trusting the node.

// verifyFlags are the flags --verify adds.
type verifyFlags struct {
	verify      bool
	height      int64
	trustHeight int64
	trustHash   string
	trustPeriod time.Duration
}

// verifiedRun fetches and verifies one record; print writes its text form.
type verifiedRun func(ctx context.Context, v *verify.Verifier, arg string, height int64) (record any, an *verify.Anchor, print func(io.Writer), err error)

// addVerify gives the account, prover and workload queries --verify.
func addVerify(g *globals, query *cobra.Command) {
	runs := map[string]verifiedRun{
		"account": func(ctx context.Context, v *verify.Verifier, arg string, h int64) (any, *verify.Anchor, func(io.Writer), error) {
			addr, err := g.resolveAddress(arg)
			if err != nil {
				return nil, nil, nil, err
			}
			a, an, err := v.VerifiedAccount(ctx, addr, h)
			if err != nil {
				return nil, an, nil, err
			}
			return a, an, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n  balance  %s (%d uprv)\n  nonce    %d\n  at height %d\n", a.Address, formatAmount(a.Balance), a.Balance, a.Nonce, a.Height)
			}, nil
		},
		"prover": func(ctx context.Context, v *verify.Verifier, arg string, h int64) (any, *verify.Anchor, func(io.Writer), error) {
			addr, err := g.resolveAddress(arg)
			if err != nil {
				return nil, nil, nil, err
			}
			p, an, err := v.VerifiedProver(ctx, addr, h)
			if err != nil {
				return nil, an, nil, err
			}
			return p, an, func(w io.Writer) { printProver(w, *p) }, nil
		},
		"workload": func(ctx context.Context, v *verify.Verifier, arg string, h int64) (any, *verify.Anchor, func(io.Writer), error) {
			wl, an, err := v.VerifiedWorkload(ctx, arg, h)
			if err != nil {
				return nil, an, nil, err
			}
			return wl, an, func(w io.Writer) { printWorkload(w, wl) }, nil
		},
	}
	for _, c := range query.Commands() {
		if run, ok := runs[c.Name()]; ok {
			withVerify(g, c, run)
		}
	}
}

// withVerify adds the flags to cmd and runs the verified query when
// --verify is set, cmd's own otherwise.
func withVerify(g *globals, cmd *cobra.Command, run verifiedRun) {
	var f verifyFlags
	plain := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !f.verify {
			for _, name := range []string{"height", "trust-height", "trust-hash", "trust-period"} {
				if cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s is only taken with --verify", name)
				}
			}
			return plain(cmd, args)
		}
		return runVerified(g, cmd, args[0], f, run)
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.verify, "verify", false, "check the answer against the chain's app hash in a light-client verified header (needs --trust-height and --trust-hash)")
	fl.Int64Var(&f.height, "height", 0, "with --verify: the state's height (default: the newest the node has a header after)")
	fl.Int64Var(&f.trustHeight, "trust-height", 0, "with --verify: the height of a block you trust")
	fl.StringVar(&f.trustHash, "trust-hash", "", "with --verify: that block's hash (hex), from a node or checkpoint you trust")
	fl.DurationVar(&f.trustPeriod, "trust-period", verify.DefaultTrustingPeriod, "with --verify: how long the trusted block may vouch for later ones")
}

// trustRootHint says where a trust root comes from.
const trustRootHint = "--verify needs a trust root: --trust-height H --trust-hash HASH, a block you trust. " +
	"Take it from a node you trust (`provernet --node URL query block H` prints the block's hash), or from the chain's published checkpoint; " +
	"it must be newer than --trust-period and not after the height you verify"

func runVerified(g *globals, cmd *cobra.Command, arg string, f verifyFlags, run verifiedRun) error {
	if f.trustHeight == 0 || f.trustHash == "" {
		return cli.WithHint(errors.New("no trust root"), trustRootHint)
	}
	root, err := verify.ParseTrustRoot(f.trustHeight, f.trustHash, f.trustPeriod)
	if err != nil {
		return cli.WithHint(err, trustRootHint)
	}
	v, err := verify.New(g.client(), root)
	if err != nil {
		return err
	}
	rec, an, print, err := run(cmd.Context(), v, arg, f.height)
	if err != nil {
		return verifyErr(err)
	}
	ver := verifiedOf(an)
	if g.json() {
		out, err := withField(rec, "verified", ver)
		if err != nil {
			return err
		}
		return g.emit(out, nil)
	}
	print(g.stdout)
	fmt.Fprintf(g.stdout, "verified against header %d (app hash %s), the state at height %d\n", ver.HeaderHeight, ver.AppHash, ver.Height)
	return nil
}

// verified is the "verified" field of --verify's JSON.
type verified struct {
	Height       int64  `json:"height"`        // the state's height
	HeaderHeight int64  `json:"header_height"` // the header whose app hash proves it
	HeaderHash   string `json:"header_hash"`
	AppHash      string `json:"app_hash"`
	ChainID      string `json:"chain_id"`
	Exists       bool   `json:"exists"` // false: an account proven never written
}

func verifiedOf(an *verify.Anchor) verified {
	return verified{Height: an.Height, HeaderHeight: an.Header.Height, HeaderHash: strings.ToUpper(hex.EncodeToString(an.Header.Hash)),
		AppHash: strings.ToUpper(hex.EncodeToString(an.Header.AppHash)), ChainID: an.Header.ChainID, Exists: an.Exists}
}

// withField is v's JSON object with one more field.
func withField(v any, name string, field any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m[name], err = json.Marshal(field); err != nil {
		return nil, err
	}
	return m, nil
}

// verifyErr words a failed verification: which part failed, and what to
// do about it.
func verifyErr(err error) error {
	switch {
	case errors.Is(err, verify.ErrAbsent):
		return cli.WithHint(err, "the chain proves there is no such record at that height")
	case errors.Is(err, verify.ErrTrustRoot):
		return cli.WithHint(err, trustRootHint)
	case errors.Is(err, verify.ErrHeader), errors.Is(err, verify.ErrProof), errors.Is(err, verify.ErrValue):
		return cli.WithHint(err, "the node's answer does not verify: do not trust it; ask another node")
	}
	return nodeErr(err)
}
