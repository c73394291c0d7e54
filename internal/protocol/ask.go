package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// SetAsk (issue 17, docs/MARKET.md): a prover keeps up to
// max_asks_per_prover asks, each a price per mega-cycle and a latency for
// some programs or resource classes. The record lives under ask/ and is
// indexed in the book (ask_keys.go) under every target it serves; setting
// an ask again replaces its entries, removing it deletes them.

// The resource classes an ask may serve (ProgramClass).
const (
	ClassCPU = "cpu"
	ClassGPU = "gpu"
)

// ProgramClass is a program's resource class: gpu when its minimum
// hardware names a GPU, cpu otherwise (as ClassMultiplier prices it).
func ProgramClass(prog *pb.Program) string {
	if len(prog.GetMinHardware().GetGpus()) > 0 {
		return ClassGPU
	}
	return ClassCPU
}

func setAsk(kv store.KV, env Env, sender address.Address, m *pb.SetAsk) (Result, error) {
	if env.Params.MaxAsksPerProver == 0 {
		return reject(wire.CodeNotAllowed, "ask: the market is off on this chain (max_asks_per_prover is 0)"), nil
	}
	p, err := GetProver(kv, sender)
	if isNotFound(err) {
		return reject(wire.CodeNotAllowed, "ask: %s is not a registered prover", sender), nil
	}
	if err != nil {
		return Result{}, err
	}
	old, err := getAsk(kv, sender[:], m.Id)
	if err != nil {
		return Result{}, err
	}
	indexed := inBook(p)
	if m.Remove {
		return removeAsk(kv, env, sender, p, m, old, indexed)
	}
	if res := checkAsk(kv, env.Params, m); !res.OK() {
		return res, nil
	}
	switch p.State {
	case pb.ProverState_PROVER_STATE_PENDING, pb.ProverState_PROVER_STATE_ACTIVE, pb.ProverState_PROVER_STATE_SUSPENDED:
	default:
		return reject(wire.CodeNotAllowed, "ask: %s is %s; only a pending, active or suspended prover keeps asks", sender, stateName(p.State)), nil
	}
	if res := checkAskHardware(kv, env.Params, p, m); !res.OK() {
		return res, nil
	}
	if old == nil {
		n, err := countKeys(kv, proverAsksPrefix(sender[:]), store.PrefixEnd(proverAsksPrefix(sender[:])), uint64(env.Params.MaxAsksPerProver))
		if err != nil {
			return Result{}, err
		}
		if n >= uint64(env.Params.MaxAsksPerProver) {
			return reject(wire.CodeLimitReached, "ask: %s keeps %d asks, the most max_asks_per_prover allows; replace or remove one", sender, n), nil
		}
	} else if indexed {
		if err := unindexAsk(kv, old); err != nil {
			return Result{}, err
		}
	}
	a := &pb.Ask{Prover: sender[:], Id: m.Id, Price: m.Price, Latency: m.Latency, Programs: m.Programs, Classes: m.Classes, Height: env.Height}
	if err := setProto(kv, askKey(a.Prover, a.Id), a); err != nil {
		return Result{}, err
	}
	if indexed {
		if err := indexAsk(kv, a); err != nil {
			return Result{}, err
		}
	}
	if err := poolAsksChanged(kv, p, askClasses(old, a)); err != nil {
		return Result{}, err
	}
	return emit(env, event("ask", "prover", sender.String(), "id", strconv.FormatUint(uint64(m.Id), 10),
		"price", strconv.FormatUint(m.Price, 10), "latency", strconv.FormatInt(m.Latency, 10), "serves", askTargets(a))), nil
}

func removeAsk(kv store.KV, env Env, sender address.Address, p *pb.Prover, m *pb.SetAsk, old *pb.Ask, indexed bool) (Result, error) {
	if m.Price != 0 || m.Latency != 0 || len(m.Programs) != 0 || len(m.Classes) != 0 {
		return reject(wire.CodeInvalidMessage, "ask: a removal carries only the ask id"), nil
	}
	if old == nil {
		return reject(wire.CodeNotFound, "ask: %s keeps no ask %d", sender, m.Id), nil
	}
	if indexed {
		if err := unindexAsk(kv, old); err != nil {
			return Result{}, err
		}
	}
	if err := kv.Delete(askKey(old.Prover, old.Id)); err != nil {
		return Result{}, err
	}
	if err := poolAsksChanged(kv, p, askClasses(old, nil)); err != nil {
		return Result{}, err
	}
	return emit(env, event("ask_removed", "prover", sender.String(), "id", strconv.FormatUint(uint64(m.Id), 10))), nil
}

// checkAsk checks an ask's own fields and that the programs it names
// exist.
func checkAsk(r store.Reader, p Params, m *pb.SetAsk) Result {
	n := len(m.Programs) + len(m.Classes)
	switch {
	case m.Price == 0:
		return reject(wire.CodeInvalidMessage, "ask: price must be at least 1 uprv per mega-cycle")
	case m.Latency < max(p.AcceptWindow, 1) || m.Latency > p.MaxDeadline:
		// A latency below accept_window promises less time than a matched
		// prover has to accept: a claim the chain cannot hold it to.
		return reject(wire.CodeInvalidMessage, "ask: latency %d blocks must be %d (accept_window) to %d (max_deadline)", m.Latency, max(p.AcceptWindow, 1), p.MaxDeadline)
	case n == 0 || n > wire.MaxAskTargets:
		return reject(wire.CodeInvalidMessage, "ask: it serves %d programs and classes; it must serve 1..%d", n, wire.MaxAskTargets)
	}
	for i, c := range m.Classes {
		if c != ClassCPU && c != ClassGPU {
			return reject(wire.CodeInvalidMessage, "ask: class %q is not cpu or gpu", c)
		}
		if i > 0 && contains(m.Classes[:i], c) {
			return reject(wire.CodeInvalidMessage, "ask: class %s named twice", c)
		}
	}
	for i, id := range m.Programs {
		if len(id) != sha256.Size {
			return reject(wire.CodeInvalidMessage, "ask: program id %d is %d bytes, want 32", i, len(id))
		}
		for _, prev := range m.Programs[:i] {
			if bytes.Equal(prev, id) {
				return reject(wire.CodeInvalidMessage, "ask: program %x named twice", id)
			}
		}
		if _, err := GetProgram(r, id); err != nil {
			return reject(wire.CodeNotFound, "ask: no program %x is deployed", id)
		}
	}
	return Result{}
}

// checkAskHardware refuses the targets a prover could never be matched
// for: a program whose minimum hardware its hardware (as the matcher sees
// it, AllocHardware) does not meet, or the gpu class without a GPU. Such
// asks would only take room in the book.
func checkAskHardware(r store.Reader, params Params, p *pb.Prover, m *pb.SetAsk) Result {
	have := AllocHardware(params, p.Hardware)
	if contains(m.Classes, ClassGPU) && len(have.GPUs) == 0 {
		return reject(wire.CodeNotAllowed, "ask: %s declares no GPU the chain relies on; it cannot serve the gpu class", address.Address(p.Address))
	}
	for _, id := range m.Programs {
		prog, err := GetProgram(r, id)
		if err != nil {
			return reject(wire.CodeNotFound, "ask: no program %x is deployed", id)
		}
		if !alloc.Meets(have, HardwareOf(prog.MinHardware)) {
			return reject(wire.CodeNotAllowed, "ask: the hardware of %s does not meet the minimum of program %x", address.Address(p.Address), id)
		}
	}
	return Result{}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// askTargetKeys are the book targets an ask serves.
func askTargetKeys(a *pb.Ask) [][]byte {
	var out [][]byte
	for _, id := range a.Programs {
		out = append(out, programTarget(id))
	}
	for _, c := range a.Classes {
		out = append(out, classTarget(c))
	}
	return out
}

// indexAsk puts a's entries in the book; the caller knows its prover is
// active.
func indexAsk(kv store.KV, a *pb.Ask) error {
	height := binary.BigEndian.AppendUint64(nil, uint64(a.Height))
	for _, t := range askTargetKeys(a) {
		if err := kv.Set(bookPriceKey(t, a.Price, a.Latency, a.Prover, a.Id), height); err != nil {
			return err
		}
		if err := kv.Set(bookTimeKey(t, a.Latency, a.Price, a.Prover, a.Id), height); err != nil {
			return err
		}
	}
	return nil
}

func unindexAsk(kv store.KV, a *pb.Ask) error {
	for _, t := range askTargetKeys(a) {
		if err := kv.Delete(bookPriceKey(t, a.Price, a.Latency, a.Prover, a.Id)); err != nil {
			return err
		}
		if err := kv.Delete(bookTimeKey(t, a.Latency, a.Price, a.Prover, a.Id)); err != nil {
			return err
		}
	}
	return nil
}

// getAsk reads one ask, or nil.
func getAsk(r store.Reader, prover []byte, id uint32) (*pb.Ask, error) {
	b, err := r.Get(askKey(prover, id))
	if err != nil || b == nil {
		return nil, err
	}
	a := &pb.Ask{}
	if err := proto.Unmarshal(b, a); err != nil {
		return nil, fmt.Errorf("failed to decode ask %d of %x: %w", id, prover, err)
	}
	return a, nil
}

// ProverAsks lists a prover's asks by id.
func ProverAsks(r store.Reader, prover []byte) ([]*pb.Ask, error) {
	var out []*pb.Ask
	err := Scan(r, proverAsksPrefix(prover), func(a *pb.Ask) bool { out = append(out, a); return true })
	return out, err
}

// askTargets names what an ask serves, for events: programs in hex, then
// classes, comma-separated.
func askTargets(a *pb.Ask) string {
	var parts []string
	for _, id := range a.Programs {
		parts = append(parts, hex.EncodeToString(id))
	}
	return strings.Join(append(parts, a.Classes...), ",")
}
