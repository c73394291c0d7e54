package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// Run (PROTOCOL.md 5.1): the fee is escrowed at inclusion (height h) and
// the workload is queued for allocation at h+1 with seed[h+1].

func run(kv store.KV, env Env, sender address.Address, m *pb.Run) (Result, error) {
	prog, res, err := runProgram(kv, m)
	if err != nil || !res.OK() {
		return res, err
	}
	if res := checkRun(env.Params, m); !res.OK() {
		return res, nil
	}
	q, err := Quote(env.Params, prog, m.Cycles, m.Provers)
	if m.Market != nil { // issue 17: escrowed at the order's max_price
		if res := checkMarket(env.Params, m); !res.OK() {
			return res, nil
		}
		q, err = MarketQuote(env.Params, m.Cycles, m.Provers, m.Market.MaxPrice)
	}
	if err != nil {
		return reject(wire.CodeInvalidMessage, "run: %v", err), nil
	}
	if m.Deadline > env.Params.MaxDeadline {
		return reject(wire.CodeInvalidMessage, "run: deadline %d blocks is above max_deadline %d", m.Deadline, env.Params.MaxDeadline), nil
	}
	if m.Deadline < q.MinDeadline {
		return reject(wire.CodeInvalidMessage, "run: deadline %d blocks is below the minimum %d for %d cycles (allocation, accept_window %d, and %d cycles per block)",
			m.Deadline, q.MinDeadline, m.Cycles, env.Params.AcceptWindow, env.Params.CyclesPerBlock), nil
	}
	if m.MaxFee != 0 && q.Fee > m.MaxFee {
		return reject(wire.CodeInvalidMessage, "run: the fee is %d uprv, above your max_fee %d", q.Fee, m.MaxFee), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if acct.Balance < q.Fee {
		return reject(wire.CodeInsufficientFunds, "run: %s holds %d uprv after the transaction fee and cannot escrow the run's fee of %d uprv", sender, acct.Balance, q.Fee), nil
	}
	if err := addBalance(kv, sender, acct, -1, q.Fee); err != nil {
		return Result{}, err
	}
	w := &pb.Workload{
		Id: wire.WorkloadID(sender, env.txNonce, env.msgIndex), Program: prog.Id, Owner: sender[:],
		Inputs: m.Inputs, Cycles: m.Cycles, K: m.Provers, Recipient: m.Recipient,
		Height: env.Height, Deadline: env.Height + m.Deadline, Fee: q.Fee, Escrow: q.Fee,
		State: pb.WorkloadState_WORKLOAD_STATE_PENDING, Market: m.Market,
	}
	queueAt := queueKey
	if w.Market != nil {
		queueAt = marketQueueKey
	}
	if err := queue(kv, env, w, queueAt); err != nil {
		return Result{}, err
	}
	ev := event("run", "workload", hex.EncodeToString(w.Id), "owner", sender.String(),
		"program", hex.EncodeToString(prog.Id), "k", strconv.Itoa(int(w.K)), "fee", strconv.FormatUint(q.Fee, 10),
		"deadline", strconv.FormatInt(w.Deadline, 10))
	if w.Market != nil {
		ev.Attrs = append(ev.Attrs, Attr{Key: "mechanism", Value: MechanismName(w.Market.Mechanism)})
	}
	return emit(env, ev), nil
}

// queue writes a new workload and queues it for allocation at the next
// height.
func queue(kv store.KV, env Env, w *pb.Workload, at func(int64, uint64) []byte) error {
	if old, err := kv.Get(workloadKey(w.Id)); err != nil || old != nil {
		if err == nil {
			err = errDuplicateWorkload
		}
		return err
	}
	seq, err := nextSeq(kv)
	if err != nil {
		return err
	}
	if err := kv.Set(at(env.Height, seq), w.Id); err != nil {
		return err
	}
	return setWorkload(kv, w)
}

func runProgram(kv store.KV, m *pb.Run) (*pb.Program, Result, error) {
	if len(m.Program) != sha256.Size {
		return nil, reject(wire.CodeInvalidMessage, "run: program id is %d bytes, want 32", len(m.Program)), nil
	}
	prog, err := GetProgram(kv, m.Program)
	if isNotFound(err) {
		return nil, reject(wire.CodeNotFound, "run: no program %x is deployed", m.Program), nil
	}
	if err != nil {
		return nil, Result{}, err
	}
	if prog.Prover == nil {
		return nil, reject(wire.CodeInvalidMessage, "run: program %s (%x) is verifier-only and cannot be run", prog.Name, prog.Id), nil
	}
	return prog, Result{}, nil
}

func checkRun(p Params, m *pb.Run) Result {
	switch {
	case m.Cycles == 0:
		return reject(wire.CodeInvalidMessage, "run: cycles must be positive")
	case m.Provers == 0 || m.Provers > p.MaxProversPerWorkload:
		return reject(wire.CodeInvalidMessage, "run: provers (k) is %d; it must be 1..%d (max_provers_per_workload)", m.Provers, p.MaxProversPerWorkload)
	case uint32(len(m.Inputs)) > p.MaxInputs:
		return reject(wire.CodeInvalidMessage, "run: %d inputs; at most %d (max_inputs)", len(m.Inputs), p.MaxInputs)
	}
	if _, err := seal.ParseRecipient(m.Recipient); err != nil {
		return reject(wire.CodeInvalidMessage, "run: recipient: %v", err)
	}
	seen := map[string]bool{}
	for i, in := range m.Inputs {
		if res := checkInput(p, in); !res.OK() {
			res.Log = "run: input " + strconv.Itoa(i) + ": " + res.Log
			return res
		}
		if seen[strings.ToLower(in.Name)] {
			return reject(wire.CodeInvalidMessage, "run: input name %q appears twice (names are compared without case: inputs become files)", in.Name)
		}
		seen[strings.ToLower(in.Name)] = true
	}
	return Result{}
}

func checkInput(p Params, in *pb.Input) Result {
	if err := wire.CheckInputName(in.Name); err != nil {
		return reject(wire.CodeInvalidMessage, "%v", err)
	}
	if len(in.Sha256) == 0 {
		if uint64(len(in.Data)) > p.MaxInlineInput {
			return reject(wire.CodeInvalidMessage, "%d bytes inline; the limit is %d (max_inline_input): send it as a blob", len(in.Data), p.MaxInlineInput)
		}
		return Result{}
	}
	if len(in.Data) != 0 || len(in.Sha256) != sha256.Size || in.Size == 0 || in.Size > p.MaxProgramSize {
		return reject(wire.CodeInvalidMessage, "a blob input needs a 32-byte sha256, a size of 1..%d and no inline data", p.MaxProgramSize)
	}
	return Result{}
}
