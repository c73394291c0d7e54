package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// SmokeWorkload is one workload of the smoke test, from Run to final.
type SmokeWorkload struct {
	Program        string      `json:"program"`
	ID             string      `json:"id"`
	State          string      `json:"state"`
	Reason         string      `json:"reason,omitempty"`
	Slots          []SmokeSlot `json:"slots"`
	RunHeight      int64       `json:"run_height"`
	BlocksToSealed int64       `json:"blocks_to_sealed"` // Run included -> first result in a block
	BlocksToFinal  int64       `json:"blocks_to_final"`  // Run included -> first proof final
	InputFiles     []string    `json:"input_files"`
	SealedFile     string      `json:"sealed_file"`   // the age file as submitted
	ProofFile      string      `json:"proof_file"`    // opened with the user's identity
	IdentityFile   string      `json:"identity_file"` // the user's age identity (X25519)
	Opened         bool        `json:"opened"`
}

// SmokeSlot is one slot of a smoke workload.
type SmokeSlot struct {
	Index   uint32 `json:"index"`
	Prover  string `json:"prover"`
	State   string `json:"state"`
	Tier    uint32 `json:"tier"`
	Reward  uint64 `json:"reward"`
	FeePaid uint64 `json:"fee_paid"`
}

// smokeWorkloads deploys the example programs and runs one workload of
// each with k provers, end to end, as dev account user.
func smokeWorkloads(ctx context.Context, d *Devnet, o SmokeOptions, rep *SmokeReport) error {
	c := client.New(d.APIURL())
	if len(d.Keys) < 2 {
		return fmt.Errorf("the workload smoke needs two dev accounts")
	}
	deployer, user := d.Keys[0], d.Keys[1]
	progs, err := DeployExamples(ctx, c, deployer, o.Programs)
	if err != nil {
		return err
	}
	if len(progs) == 0 {
		return fmt.Errorf("no example programs under %s: run `make programs`", o.Programs)
	}
	if err := WaitActiveProvers(ctx, c, len(d.ProverKeys)); err != nil {
		return err
	}
	idFile := client.IdentityFile(d.Home(), user.Name)
	id, err := client.LoadOrCreateIdentity(idFile)
	if err != nil {
		return err
	}
	// One workload at a time, so each one's block counts measure the
	// protocol rather than the provers' queue.
	ok := true
	for _, p := range progs {
		if p.Tree != "" {
			continue // a tree program: proved as a tree's nodes, not as a Run
		}
		sub, err := submitExample(ctx, c, user, p, o.K, id.Recipient().String())
		if err != nil {
			return fmt.Errorf("%s: run: %w", p.Name, err)
		}
		sw, err := followSmokeWorkload(ctx, c, d.Home(), p, sub, idFile, id.String())
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		rep.Workloads = append(rep.Workloads, sw)
		ok = ok && sw.State == "final" && sw.Opened
	}
	if !ok {
		return fmt.Errorf("not every workload became final and opened")
	}
	return checkSmokeSupply(ctx, c, append(slices.Clone(d.Keys), d.ProverKeys...), rep)
}

// WaitActiveProvers waits until at least n provers are active.
func WaitActiveProvers(ctx context.Context, c *client.Client, n int) error {
	for {
		ps, err := c.Provers(ctx)
		if err != nil {
			return err
		}
		active := 0
		var others []string // what the rest are, for the error
		for _, p := range ps {
			if p.State == "active" {
				active++
			} else {
				others = append(others, fmt.Sprintf("%s %s %s", p.Address, p.State, p.Reason))
			}
		}
		if active >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d provers became active (%d registered; the others: %v): %w", active, n, len(ps), others, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// followSmokeWorkload waits for the first sealed result, opens it as the
// user, then waits until the workload settles.
func followSmokeWorkload(ctx context.Context, c *client.Client, home string, p ExampleProgram, sub *client.Submitted, idFile, identity string) (SmokeWorkload, error) {
	sw := SmokeWorkload{Program: p.Name, ID: sub.Workload, InputFiles: p.Inputs, IdentityFile: idFile}
	tx, err := c.WaitTx(ctx, sub.TxHash)
	if err != nil {
		return sw, err
	}
	if tx.Code != 0 {
		return sw, fmt.Errorf("the Run was refused: %s", tx.Log)
	}
	sw.RunHeight = tx.Height
	sealed := func(w *wire.Workload) bool { return w.FirstSubmitted() != nil || w.Settled }
	w, err := c.WaitWorkload(ctx, sub.Workload, 100*time.Millisecond, nil, sealed)
	if err != nil {
		return sw, err
	}
	if s := w.FirstSubmitted(); s != nil {
		sw.BlocksToSealed = s.SubmitHeight - sw.RunHeight
		dir := filepath.Join(home, "results")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return sw, err
		}
		_, proof, file, err := c.OpenResult(ctx, sub.Workload, s.Index, identity, 1<<20)
		if err == nil {
			sw.SealedFile, sw.ProofFile = filepath.Join(dir, p.Name+".age"), filepath.Join(dir, p.Name+".proof")
			if err := os.WriteFile(sw.SealedFile, file, 0o600); err != nil {
				return sw, err
			}
			if err := os.WriteFile(sw.ProofFile, proof, 0o600); err != nil {
				return sw, err
			}
			sw.Opened = true
		}
	}
	if w, err = c.WaitWorkload(ctx, sub.Workload, 200*time.Millisecond, nil, func(w *wire.Workload) bool { return w.Settled }); err != nil {
		return sw, err
	}
	sw.State, sw.Reason = w.State, w.Reason
	if w.FinalHeight > 0 {
		sw.BlocksToFinal = w.FinalHeight - sw.RunHeight
	}
	for _, s := range w.Slots {
		sw.Slots = append(sw.Slots, SmokeSlot{Index: s.Index, Prover: s.Prover, State: s.State, Tier: s.Tier, Reward: s.Reward, FeePaid: s.FeePaid})
	}
	return sw, nil
}

// submitExample sends a Run of an example program on its sample inputs,
// with a deadline well beyond the minimum.
func submitExample(ctx context.Context, c *client.Client, user *client.Key, p ExampleProgram, k int, recipient string) (*client.Submitted, error) {
	q, err := c.Fee(ctx, p.ID, p.Cycles, uint32(k))
	if err != nil {
		return nil, err
	}
	req := client.RunRequest{Program: p.ID, Cycles: p.Cycles, Provers: uint32(k), Recipient: recipient, Deadline: q.MinDeadline + 300}
	for _, f := range p.Inputs {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		req.Inputs = append(req.Inputs, client.RunInput{Name: filepath.Base(f), Data: b})
	}
	return c.SubmitRun(ctx, user, req)
}
