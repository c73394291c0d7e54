package protocol

import (
	"fmt"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The prover set (PROTOCOL.md 4): registration, stake, leaving and
// withdrawal. States: pending -> active -> leaving -> exited, and
// active -> removed (which unbonds like leaving). A pending prover becomes
// active once it has at least min_prover_stake and has passed its
// admission challenges (see challenge.go; immediately when challenges are
// disabled).

const (
	maxEndpointLen = 256
	// MaxGPUs, MaxGPUModelLen and MaxGPUMemoryMB bound a declaration's GPUs.
	MaxGPUs        = 16
	MaxGPUModelLen = 64
	MaxGPUMemoryMB = 1 << 20 // 1 TiB
	// MaxDeclaredCores and MaxDeclaredMemoryMB are sanity bounds on a
	// declaration (a challenge tests far less: Tested).
	MaxDeclaredCores    = 1 << 16
	MaxDeclaredMemoryMB = 1 << 40
)

// gpuModel is what a GPU model name may be: a name like "rtx-4090" or
// "H100 80GB", no control characters.
var gpuModel = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._+-]*$`)

func proverKey(a address.Address) []byte { return append(append([]byte{}, prefixProver...), a[:]...) }

// GetProver reads a prover, or returns store.ErrNotFound.
func GetProver(r store.Reader, a address.Address) (*pb.Prover, error) {
	b, err := r.Get(proverKey(a))
	if err != nil {
		return nil, fmt.Errorf("failed to read prover %s: %w", a, err)
	}
	if b == nil {
		return nil, fmt.Errorf("prover %s: %w", a, store.ErrNotFound)
	}
	var p pb.Prover
	if err := proto.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("failed to decode prover %s: %w", a, err)
	}
	return &p, nil
}

// setProver writes a prover record (writeProver, not knowing what it
// replaces).
func setProver(kv store.KV, p *pb.Prover) error { return writeProver(kv, p, nil) }

// writeProver is the only writer of prover records: it keeps the active
// index in line with them (indexProver; was is the index entry of the
// record p replaces, nil if unknown).
func writeProver(kv store.KV, p *pb.Prover, was *indexEntry) error {
	a, err := address.FromBytes(p.Address)
	if err != nil {
		return err
	}
	if err := indexProver(kv, a, was, p); err != nil {
		return err
	}
	return setProto(kv, proverKey(a), p)
}

// ProverPrefix is the key prefix of all provers (for queries).
func ProverPrefix() []byte { return append([]byte{}, prefixProver...) }

func registerProver(kv store.KV, env Env, sender address.Address, m *pb.RegisterProver) (Result, error) {
	if res := checkRegister(m); !res.OK() {
		return res, nil
	}
	if owner, ok, err := HotKeyOf(kv, sender); err != nil {
		return Result{}, err
	} else if ok {
		return reject(wire.CodeNotAllowed, "register: %s is the hot key of prover %s and cannot be a prover itself; the staking key revokes it first (SetHotKey with no key)", sender, owner), nil
	}
	old, err := GetProver(kv, sender)
	switch {
	case err == nil && old.State != pb.ProverState_PROVER_STATE_EXITED:
		return reject(wire.CodeAlreadyExists, "register: %s is already a registered prover (%s); only an exited prover registers again", sender, stateName(old.State)), nil
	case err != nil && !isNotFound(err):
		return Result{}, err
	}
	if fee := env.Params.RegistrationFee; fee > 0 {
		acct, err := GetAccount(kv, sender)
		if err != nil {
			return Result{}, err
		}
		if acct.Balance < fee {
			return reject(wire.CodeInsufficientFunds, "register: %s holds %d uprv after the transaction fee and cannot pay the registration fee of %d uprv (registration_fee, burned)", sender, acct.Balance, fee), nil
		}
		if err := addBalance(kv, sender, acct, -1, fee); err != nil {
			return Result{}, err
		}
		if err := burn(kv, fee); err != nil {
			return Result{}, err
		}
	}
	p := &pb.Prover{Address: sender[:], VrfPublicKey: m.VrfPublicKey, Hardware: m.Hardware,
		MaxConcurrent: m.MaxConcurrent, BlobEndpoint: m.BlobEndpoint, Label: m.Label,
		State: pb.ProverState_PROVER_STATE_PENDING, RegisteredHeight: env.Height}
	if old != nil { // an exited prover comes back: pending again, its history kept
		p.Slashed, p.Absences, p.ProofsFinal, p.Suspensions, p.WrongVotes, p.VotesPaid =
			old.Slashed, old.Absences, old.ProofsFinal, old.Suspensions, old.WrongVotes, old.VotesPaid
		p.Reputation = old.Reputation // issue 17: leaving does not wash a record of misses
		p.HotKey = old.HotKey         // issue 19: its hot key (and the index naming it) stays until the staking key changes it
	}
	if err := setProver(kv, p); err != nil {
		return Result{}, err
	}
	return emit(env, event("prover_registered", "prover", sender.String())), nil
}

func checkRegister(m *pb.RegisterProver) Result {
	switch {
	case len(m.VrfPublicKey) != 32:
		return reject(wire.CodeInvalidMessage, "register: vrf_public_key is %d bytes, want 32", len(m.VrfPublicKey))
	case m.Hardware == nil || m.Hardware.CpuCores == 0 || m.Hardware.MemoryMb == 0:
		return reject(wire.CodeInvalidMessage, "register: hardware must declare at least one CPU core and some memory")
	case m.MaxConcurrent == 0:
		return reject(wire.CodeInvalidMessage, "register: max_concurrent must be at least 1")
	case len(m.BlobEndpoint) > maxEndpointLen:
		return reject(wire.CodeInvalidMessage, "register: blob_endpoint longer than %d bytes", maxEndpointLen)
	}
	if err := wire.CheckProverLabel(m.Label); err != nil {
		return reject(wire.CodeInvalidMessage, "register: label: %v", err)
	}
	if err := CheckHardwareClaim(m.Hardware); err != nil {
		return reject(wire.CodeInvalidMessage, "register: %v", err)
	}
	return Result{}
}

// CheckHardwareClaim checks a prover's declaration against what the chain
// accepts: at most MaxDeclaredCores cores and MaxDeclaredMemoryMB of memory
// (sanity bounds; the allocator relies only on the part a challenge tests,
// Tested), and GPUs that each name a model and their memory, at most
// MaxGPUs of them. The CLI and the daemon check their flags with it before
// sending anything.
func CheckHardwareClaim(h *pb.Hardware) error {
	switch {
	case h.GetCpuCores() > MaxDeclaredCores:
		return fmt.Errorf("%d CPU cores declared, at most %d", h.GetCpuCores(), MaxDeclaredCores)
	case h.GetMemoryMb() > MaxDeclaredMemoryMB:
		return fmt.Errorf("%d MiB of memory declared, at most %d", h.GetMemoryMb(), uint64(MaxDeclaredMemoryMB))
	case len(h.GetGpus()) > MaxGPUs:
		return fmt.Errorf("%d GPUs declared, at most %d", len(h.GetGpus()), MaxGPUs)
	}
	for i, g := range h.GetGpus() {
		switch {
		case len(g.GetModel()) == 0 || len(g.GetModel()) > MaxGPUModelLen || !gpuModel.MatchString(g.GetModel()):
			return fmt.Errorf("GPU %d: model %q must be 1-%d letters, digits, spaces and . _ + - (starting with a letter or digit)", i, g.GetModel(), MaxGPUModelLen)
		case g.GetMemoryMb() == 0 || g.GetMemoryMb() > MaxGPUMemoryMB:
			return fmt.Errorf("GPU %d (%s): memory %d MiB is outside 1..%d", i, g.GetModel(), g.GetMemoryMb(), MaxGPUMemoryMB)
		}
	}
	return nil
}

func stake(kv store.KV, env Env, sender address.Address, m *pb.Stake) (Result, error) {
	if m.Amount == 0 {
		return reject(wire.CodeInvalidMessage, "stake: amount must be positive"), nil
	}
	p, res, err := ownProver(kv, sender, "stake")
	if err != nil || !res.OK() {
		return res, err
	}
	if p.State != pb.ProverState_PROVER_STATE_PENDING && p.State != pb.ProverState_PROVER_STATE_ACTIVE && p.State != pb.ProverState_PROVER_STATE_SUSPENDED {
		return reject(wire.CodeNotAllowed, "stake: prover %s is %s; only pending, active and suspended provers stake", sender, stateName(p.State)), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if acct.Balance < m.Amount {
		return reject(wire.CodeInsufficientFunds, "stake: %s holds %d uprv after the fee, cannot bond %d", sender, acct.Balance, m.Amount), nil
	}
	if err := addBalance(kv, sender, acct, -1, m.Amount); err != nil {
		return Result{}, err
	}
	p.Stake += m.Amount
	var evs []Event
	if p.State == pb.ProverState_PROVER_STATE_PENDING && p.Stake >= env.Params.MinProverStake && p.AdmissionHeight == 0 {
		if evs, err = issueAdmission(kv, env, p); err != nil {
			return Result{}, err
		}
	}
	admitProver(env, p)
	toppedUp(env, p)
	if err := setProver(kv, p); err != nil {
		return Result{}, err
	}
	return emit(env, event("stake", "prover", sender.String(), "amount", strconv.FormatUint(m.Amount, 10), "state", stateName(p.State))).withEvents(evs), nil
}

func unbond(kv store.KV, env Env, sender address.Address) (Result, error) {
	p, res, err := ownProver(kv, sender, "unbond")
	if err != nil || !res.OK() {
		return res, err
	}
	if p.State != pb.ProverState_PROVER_STATE_PENDING && p.State != pb.ProverState_PROVER_STATE_ACTIVE && p.State != pb.ProverState_PROVER_STATE_SUSPENDED {
		return reject(wire.CodeNotAllowed, "unbond: prover %s is %s", sender, stateName(p.State)), nil
	}
	p.State, p.UnbondHeight = pb.ProverState_PROVER_STATE_LEAVING, env.Height+env.Params.UnbondCooldown
	if err := setProver(kv, p); err != nil {
		return Result{}, err
	}
	return emit(env, event("unbond", "prover", sender.String(), "unlocks_at", strconv.FormatInt(p.UnbondHeight, 10))), nil
}

func withdraw(kv store.KV, env Env, sender address.Address) (Result, error) {
	p, res, err := ownProver(kv, sender, "withdraw")
	if err != nil || !res.OK() {
		return res, err
	}
	if p.State != pb.ProverState_PROVER_STATE_LEAVING && p.State != pb.ProverState_PROVER_STATE_REMOVED {
		return reject(wire.CodeNotAllowed, "withdraw: prover %s is %s; unbond first", sender, stateName(p.State)), nil
	}
	if env.Height < p.UnbondHeight {
		return reject(wire.CodeNotAllowed, "withdraw: the stake of %s unlocks at height %d (now %d)", sender, p.UnbondHeight, env.Height), nil
	}
	if p.Held > 0 || p.OpenResults > 0 {
		return reject(wire.CodeNotAllowed, "withdraw: %s still holds %d allocated slots and %d results in unsettled workloads; its stake answers for them until they settle", sender, p.Held, p.OpenResults), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	amount := p.Stake
	if err := addBalance(kv, sender, acct, +1, amount); err != nil {
		return Result{}, err
	}
	p.Stake, p.State = 0, pb.ProverState_PROVER_STATE_EXITED
	if err := deleteProverAsks(kv, sender); err != nil {
		return Result{}, err
	}
	if err := poolAsksChanged(kv, p, poolClasses); err != nil { // no asks, no standing
		return Result{}, err
	}
	if err := setProver(kv, p); err != nil {
		return Result{}, err
	}
	return emit(env, event("withdraw", "prover", sender.String(), "amount", strconv.FormatUint(amount, 10))), nil
}

// ownProver reads the sender's prover record, or rejects the message.
func ownProver(kv store.KV, sender address.Address, what string) (*pb.Prover, Result, error) {
	p, err := GetProver(kv, sender)
	if isNotFound(err) {
		return nil, reject(wire.CodeNotAllowed, "%s: %s is not a registered prover", what, sender), nil
	}
	return p, Result{}, err
}

func stateName(s pb.ProverState) string {
	switch s {
	case pb.ProverState_PROVER_STATE_PENDING:
		return "pending"
	case pb.ProverState_PROVER_STATE_ACTIVE:
		return "active"
	case pb.ProverState_PROVER_STATE_LEAVING:
		return "leaving"
	case pb.ProverState_PROVER_STATE_EXITED:
		return "exited"
	case pb.ProverState_PROVER_STATE_REMOVED:
		return "removed"
	case pb.ProverState_PROVER_STATE_SUSPENDED:
		return "suspended"
	}
	return "unknown"
}

// StateName is the lower-case name of a prover state.
func StateName(s pb.ProverState) string { return stateName(s) }

// emit returns a result carrying ev, except in CheckTx, which builds no
// events.
func emit(env Env, ev Event) Result {
	if env.checking {
		return Result{}
	}
	return Result{Events: []Event{ev}}
}

// proverAt reads the prover at addr (raw address bytes from a record).
func proverAt(kv store.Reader, addr []byte) (*pb.Prover, error) {
	a, err := address.FromBytes(addr)
	if err != nil {
		return nil, err
	}
	return GetProver(kv, a)
}

// updateProver reads the prover at addr (raw address bytes from a record),
// lets fn change it, and writes it back. fn may replace p.Hardware but not
// edit it in place (indexEntry).
func updateProver(kv store.KV, addr []byte, fn func(*pb.Prover)) error {
	a, err := address.FromBytes(addr)
	if err != nil {
		return err
	}
	p, err := GetProver(kv, a)
	if err != nil {
		return err
	}
	was := indexEntryOf(p)
	fn(p)
	return writeProver(kv, p, &was)
}
