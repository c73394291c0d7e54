package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestPlan runs the planner's scripts in testdata/plan (raft's datadriven
// style, like internal/protocol's scenarios): one handler per command, the
// expected output under each. The story keeps a model of the daemon's
// local records that applies each planned action as the executor would
// when it succeeds, so a script can tell a story over many heights. Any
// unknown command, argument or malformed line fails the test.
func TestPlan(t *testing.T) {
	datadriven.Walk(t, "testdata/plan", func(t *testing.T, path string) {
		s := newStory()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.run(d)
			if err != nil {
				t.Fatalf("%s: %v", d.Pos, err)
			}
			return out
		})
	})
}

// story is one script's world: the chain's workloads and this prover's
// record as the script sets them, and the daemon's local state as the
// planned actions leave it.
type story struct {
	self      address.Address
	prover    *pb.Prover // nil: not registered
	out       bool
	capacity  int
	fault     Fault
	params    protocol.Params
	tip       int64
	workloads map[string]*pb.Workload // by name
	names     nameMap                 // hex id or address -> name
	jobs      map[string]*job         // by job key, as jobStore.jobs
	running   map[string]bool         // job keys with a worker
	ballot    ballot
}

func newStory() *story {
	s := &story{capacity: 1, params: protocol.DefaultParams(), workloads: map[string]*pb.Workload{},
		names: nameMap{}, jobs: map[string]*job{}, running: map[string]bool{}, ballot: newBallot()}
	s.self = s.addr("me")
	s.prover = &pb.Prover{Address: s.self[:], State: pb.ProverState_PROVER_STATE_ACTIVE}
	return s
}

func (s *story) run(d *datadriven.TestData) (string, error) {
	a, err := parseArgs(d.CmdArgs)
	if err != nil {
		return "", err
	}
	var out string
	switch d.Cmd {
	case "self":
		out, err = s.setSelf(a)
	case "params":
		out, err = s.setParams(a)
	case "tip":
		out, err = s.setTip(a)
	case "workload":
		out, err = s.setWorkload(a, d.Input)
	case "slot":
		out, err = s.setSlot(a)
	case "job":
		out, err = s.setJob(a)
	case "restart":
		out, err = s.restart()
	case "plan":
		out, err = s.plan(a)
	case "proved":
		out, err = s.proved(a)
	case "trouble":
		out, err = s.trouble(a)
	case "verified":
		out, err = s.verified(a)
	case "votes":
		out, err = s.votes()
	case "jobs":
		out, err = s.listJobs()
	default:
		return "", fmt.Errorf("unknown command %q", d.Cmd)
	}
	if err != nil {
		return "", err
	}
	return out, a.unused()
}

// self [state=active|pending|suspended|removed|exited|leaving|none]
// [capacity=N] [declines=N] [decline-epoch=N] [fault=NAME]: this prover's
// chain record and configuration. Removed or exited is noted for good, as
// the daemon does.
func (s *story) setSelf(a *cmdArgs) (string, error) {
	if v, ok := a.take("state"); ok {
		if v == "none" {
			s.prover = nil
		} else {
			st, err := enumValue(pb.ProverState_value, "PROVER_STATE_", v)
			if err != nil {
				return "", err
			}
			s.prover = &pb.Prover{Address: s.self[:], State: pb.ProverState(st)}
		}
	}
	if s.prover != nil {
		var err error
		if s.prover.Declines, err = a.uint32("declines", s.prover.Declines); err != nil {
			return "", err
		}
		if s.prover.DeclineEpoch, err = a.int("decline-epoch", s.prover.DeclineEpoch); err != nil {
			return "", err
		}
	}
	c, err := a.int("capacity", int64(s.capacity))
	if err != nil {
		return "", err
	}
	s.capacity = int(c)
	if v, ok := a.take("fault"); ok {
		if s.fault, err = ParseFault(v); err != nil {
			return "", err
		}
	}
	s.out = s.out || outOfSet(s.prover)
	return "ok", nil
}

// params epoch-length=N max-declines=N: the protocol parameters the
// planner reads.
func (s *story) setParams(a *cmdArgs) (string, error) {
	var err error
	if s.params.EpochLength, err = a.int("epoch-length", s.params.EpochLength); err != nil {
		return "", err
	}
	if s.params.MaxDeclinesPerEpoch, err = a.uint32("max-declines", s.params.MaxDeclinesPerEpoch); err != nil {
		return "", err
	}
	return "ok", nil
}

// tip N: the newest height the daemon has seen.
func (s *story) setTip(a *cmdArgs) (string, error) {
	n, err := a.bareInt()
	if err != nil {
		return "", err
	}
	if n < s.tip {
		return "", fmt.Errorf("tip %d: heights only grow (now %d)", n, s.tip)
	}
	s.tip = n
	return "ok", nil
}

// workload NAME [state=S] [settled] [challenge] [reveal-from=N]
// [deadline=N] [cycles=N], then one line per slot in order:
// `INDEX STATE key=value...` (see setSlotArgs). It replaces the workload
// as the chain would hold it now.
func (s *story) setWorkload(a *cmdArgs, input string) (string, error) {
	name, err := a.bare()
	if err != nil {
		return "", err
	}
	id := sha256.Sum256([]byte("workload:" + name))
	s.names[hex.EncodeToString(id[:])] = name
	w := &pb.Workload{Id: id[:], State: pb.WorkloadState_WORKLOAD_STATE_RUNNING, Deadline: 100, Cycles: 1000}
	if v, ok := a.take("state"); ok {
		st, err := enumValue(pb.WorkloadState_value, "WORKLOAD_STATE_", v)
		if err != nil {
			return "", err
		}
		w.State = pb.WorkloadState(st)
	}
	w.Settled, w.Challenge = a.flag("settled"), a.flag("challenge")
	if w.RevealFrom, err = a.int("reveal-from", 0); err != nil {
		return "", err
	}
	if w.Deadline, err = a.int("deadline", w.Deadline); err != nil {
		return "", err
	}
	if w.Cycles, err = a.uint64("cycles", w.Cycles); err != nil {
		return "", err
	}
	for i, line := range strings.Split(strings.TrimSpace(input), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		la, err := parseLine(line)
		if err != nil {
			return "", fmt.Errorf("slot line %q: %w", line, err)
		}
		idx, err := la.bareInt()
		if err != nil || idx != int64(i) {
			return "", fmt.Errorf("slot line %q: want slot %d first", line, i)
		}
		sl := &pb.Slot{Index: uint32(i)}
		if err := s.setSlotArgs(sl, la, true); err != nil {
			return "", fmt.Errorf("slot line %q: %w", line, err)
		}
		if err := la.unused(); err != nil {
			return "", fmt.Errorf("slot line %q: %w", line, err)
		}
		w.Slots = append(w.Slots, sl)
	}
	s.workloads[name] = w
	return "ok", nil
}

// slot NAME/INDEX [STATE] key=value...: changes one slot as the chain
// would (see setSlotArgs).
func (s *story) setSlot(a *cmdArgs) (string, error) {
	_, sl, err := s.slotRef(a)
	if err != nil {
		return "", err
	}
	return "ok", s.setSlotArgs(sl, a, false)
}

// setSlotArgs reads a slot's fields: a bare slot state (assigned,
// accepted, open, submitted, verifying, valid, ...), prover=NAME,
// allocated=NAME, fail-claim=NAME, released=WHY, due=N, round=N, ballot=N,
// commit=TEXT, submit-height=N, vote-by=N, committee=NAME,NAME...,
// voted=NAME,NAME... (members whose vote the chain holds) and the bare
// word waited (the slot was drawn from the wait list).
func (s *story) setSlotArgs(sl *pb.Slot, a *cmdArgs, needState bool) error {
	if a.flag("waited") {
		sl.Waited = true
	}
	if st, ok := a.takeBare(); ok {
		v, err := enumValue(pb.SlotState_value, "SLOT_STATE_", st)
		if err != nil {
			return err
		}
		sl.State = pb.SlotState(v)
	} else if needState {
		return errors.New("missing the slot's state")
	}
	for key, dst := range map[string]*[]byte{"prover": &sl.Prover, "allocated": &sl.AllocatedTo, "fail-claim": &sl.FailClaim} {
		if v, ok := a.take(key); ok {
			*dst = s.addrBytes(v)
		}
	}
	if v, ok := a.take("released"); ok {
		sl.Released = v
	}
	if v, ok := a.take("commit"); ok {
		sl.Commit = []byte(v)
	}
	var err error
	if sl.Due, err = a.int("due", sl.Due); err != nil {
		return err
	}
	if sl.SubmitHeight, err = a.int("submit-height", sl.SubmitHeight); err != nil {
		return err
	}
	if sl.VoteBy, err = a.int("vote-by", sl.VoteBy); err != nil {
		return err
	}
	if sl.Round, err = a.uint32("round", sl.Round); err != nil {
		return err
	}
	ballot, err := a.int("ballot", int64(sl.Ballot))
	if err != nil {
		return err
	}
	sl.Ballot = uint64(ballot)
	if v, ok := a.take("committee"); ok {
		sl.Committee = nil
		for _, n := range strings.Split(v, ",") {
			sl.Committee = append(sl.Committee, s.addrBytes(n))
		}
		slices.SortFunc(sl.Committee, bytes.Compare) // the chain keeps it sorted
		sl.Votes = make([]byte, len(sl.Committee))
	}
	if v, ok := a.take("voted"); ok {
		for _, n := range strings.Split(v, ",") {
			i, found := slices.BinarySearchFunc(sl.Committee, s.addrBytes(n), bytes.Compare)
			if !found {
				return fmt.Errorf("voted: %s is not on the committee", n)
			}
			sl.Votes[i] = 1
		}
	}
	return nil
}

// job NAME/INDEX state=S [open] [sent=N] [retry-at=N] [missing-since=N]:
// the daemon's record of a slot as found on disk (after a restart, say).
func (s *story) setJob(a *cmdArgs) (string, error) {
	w, sl, err := s.slotRef(a)
	if err != nil {
		return "", err
	}
	st, ok := a.take("state")
	if !ok {
		return "", errors.New("job: missing state=")
	}
	j := &job{Workload: hex.EncodeToString(w.Id), Slot: sl.Index, State: jobState(st), Open: a.flag("open")}
	switch j.State {
	case jobProving, jobProved, jobSubmitted, jobRevealed, jobFailed:
	default:
		return "", fmt.Errorf("job: unknown state %q", st)
	}
	if j.SentHeight, err = a.int("sent", 0); err != nil {
		return "", err
	}
	if j.RetryAt, err = a.int("retry-at", 0); err != nil {
		return "", err
	}
	if j.MissingSince, err = a.int("missing-since", 0); err != nil {
		return "", err
	}
	s.jobs[j.key()] = j
	return "ok", nil
}

// restart forgets what the daemon holds in memory only (its workers and
// its committee work), as a restarted daemon would; the jobs stay.
func (s *story) restart() (string, error) {
	s.running, s.ballot = map[string]bool{}, newBallot()
	return "ok", nil
}

// plan NAME: the planner's actions for the workload at the current tip,
// then applied to the story as the executor would apply them.
func (s *story) plan(a *cmdArgs) (string, error) {
	name, err := a.bare()
	if err != nil {
		return "", err
	}
	w, ok := s.workloads[name]
	if !ok {
		return "", fmt.Errorf("unknown workload %q", name)
	}
	v := s.view(w)
	before := cloneView(v)
	acts := s.fault.filter(plan(v))
	if err := sameView(before, v); err != nil {
		return "", fmt.Errorf("plan changed its input: %w", err)
	}
	return s.apply(w, acts), nil
}

// proved NAME/INDEX [outcome=proof|fail]: the job's worker reports a
// result; the story records it as onProved does, then prints planProved.
func (s *story) proved(a *cmdArgs) (string, error) {
	w, sl, err := s.slotRef(a)
	if err != nil {
		return "", err
	}
	out := pb.Outcome_OUTCOME_PROOF
	if v, ok := a.take("outcome"); ok {
		o, err := enumValue(pb.Outcome_value, "OUTCOME_", v)
		if err != nil {
			return "", err
		}
		out = pb.Outcome(o)
	}
	key := jobKey(hex.EncodeToString(w.Id), sl.Index)
	delete(s.running, key)
	j := s.jobs[key]
	if j == nil {
		return "dropped meanwhile: nothing to do", nil
	}
	j.State, j.Outcome = jobProved, out
	return s.apply(w, s.fault.filter(planProved(w, *j, s.standing()))), nil
}

// trouble NAME/INDEX [input-missing]: the job's worker could not run;
// prints afterTrouble's decision and records it as onProved does.
func (s *story) trouble(a *cmdArgs) (string, error) {
	w, sl, err := s.slotRef(a)
	if err != nil {
		return "", err
	}
	missing := a.flag("input-missing")
	key := jobKey(hex.EncodeToString(w.Id), sl.Index)
	delete(s.running, key)
	j := s.jobs[key]
	if j == nil {
		return "dropped meanwhile: nothing to do", nil
	}
	t := afterTrouble(*j, w, s.tip, missing)
	j.MissingSince = t.missingSince
	if !t.fail {
		j.RetryAt = t.retryAt
		return fmt.Sprintf("retry at=%d missing-since=%d", j.RetryAt, j.MissingSince), nil
	}
	j.State, j.Outcome = jobProved, pb.Outcome_OUTCOME_FAIL
	return fmt.Sprintf("answer fail missing-since=%d\n%s", j.MissingSince, s.apply(w, s.fault.filter(planProved(w, *j, s.standing())))), nil
}

// verified NAME/INDEX valid|invalid|copied|error: a verification of the
// slot's current round reports.
func (s *story) verified(a *cmdArgs) (string, error) {
	w, sl, err := s.slotRef(a)
	if err != nil {
		return "", err
	}
	r := verifyResult{workload: w.Id, slot: sl.Index, round: sl.Round, ballot: sl.Ballot}
	switch v, _ := a.takeBare(); v {
	case "valid":
		r.verdict = wire.VerdictValid
	case "invalid":
		r.verdict = wire.VerdictInvalid
	case "copied":
		r.verdict = wire.VerdictCopied
	case "error":
		r.err = errors.New("the verifier's worker failed")
	default:
		return "", fmt.Errorf("verified: want valid, invalid, copied or error, not %q", v)
	}
	if err := s.ballot.record(r); err != nil {
		return "not voting: " + err.Error(), nil
	}
	return "queued", nil
}

// votes: what planVotes sends of the queued verdicts.
func (s *story) votes() (string, error) {
	acts := planVotes(s.standing(), s.ballot.pending)
	if len(acts) == 0 {
		return "nothing", nil
	}
	s.ballot.take(s.tip)
	return s.names.replace(acts[0].String()), nil
}

// jobs lists the daemon's jobs as the story's actions left them.
func (s *story) listJobs() (string, error) {
	if len(s.jobs) == 0 {
		return "none", nil
	}
	var out []string
	for k := range s.jobs {
		j := s.jobs[k]
		line := fmt.Sprintf("%s/%d state=%s open=%t sent=%d retry-at=%d", s.names[j.Workload], j.Slot, j.State, j.Open, j.SentHeight, j.RetryAt)
		if j.MissingSince != 0 {
			line += fmt.Sprintf(" missing-since=%d", j.MissingSince)
		}
		if s.running[k] {
			line += " running"
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return strings.Join(out, "\n"), nil
}

// apply prints a plan and makes the story what the executor would leave
// behind when every action succeeds.
func (s *story) apply(w *pb.Workload, acts []action) string {
	if len(acts) == 0 {
		return "nothing"
	}
	hexID := hex.EncodeToString(w.Id)
	var out []string
	for _, a := range acts {
		out = append(out, s.names.replace(a.String()))
		key := jobKey(hexID, a.slot)
		j := s.jobs[key]
		switch a.kind {
		case actTake:
			c := *a.job
			s.jobs[key] = &c
		case actProve:
			s.running[key] = true
		case actResendAccept:
			j.SentHeight = s.tip
		case actSubmit, actResubmit:
			j.State, j.SentHeight = jobSubmitted, s.tip
		case actReveal:
			j.State, j.SentHeight = jobRevealed, s.tip
		case actVerify:
			s.ballot.started(w.Id, a.slot, a.round)
		case actDrop:
			delete(s.jobs, key) // its worker, if any, reports later (proved/trouble)
		case actForget:
			for k, j := range s.jobs {
				if j.Workload == hexID {
					delete(s.jobs, k)
				}
			}
		}
	}
	return strings.Join(out, "\n")
}

func (s *story) standing() standing {
	n := 0
	for _, j := range s.jobs {
		if j.holdsCapacity() {
			n++
		}
	}
	return standing{addr: s.self, prover: s.prover, out: s.out, free: s.capacity - n}
}

// view builds the planner's input as the executor does (Daemon.view).
func (s *story) view(w *pb.Workload) view {
	hexID := hex.EncodeToString(w.Id)
	v := view{w: w, jobs: map[uint32]job{}, running: map[uint32]bool{}, rounds: s.ballot.rounds,
		self: s.standing(), tip: s.tip, params: s.params}
	for _, j := range s.jobs {
		if j.Workload == hexID {
			v.jobs[j.Slot] = *j
		}
	}
	for _, sl := range w.Slots {
		if s.running[jobKey(hexID, sl.Index)] {
			v.running[sl.Index] = true
		}
	}
	return v
}

// slotRef resolves the bare NAME/INDEX argument.
func (s *story) slotRef(a *cmdArgs) (*pb.Workload, *pb.Slot, error) {
	ref, err := a.bare()
	if err != nil {
		return nil, nil, err
	}
	name, idx, ok := strings.Cut(ref, "/")
	w := s.workloads[name]
	i, err := strconv.Atoi(idx)
	if !ok || w == nil || err != nil || i < 0 || i >= len(w.Slots) {
		return nil, nil, fmt.Errorf("%q names no slot of a known workload", ref)
	}
	return w, w.Slots[i], nil
}

// addr is a story name's address; the story prints it back by name.
func (s *story) addr(name string) address.Address {
	sum := sha256.Sum256([]byte("address:" + name))
	var a address.Address
	copy(a[:], sum[:])
	s.names[hex.EncodeToString(a[:])] = name
	return a
}

func (s *story) addrBytes(name string) []byte {
	a := s.addr(name)
	return a[:]
}

type nameMap map[string]string

// replace prints hex ids as their story names.
func (n nameMap) replace(text string) string {
	for id, name := range n {
		text = strings.ReplaceAll(text, id, name)
	}
	return text
}

// enumValue finds a protobuf enum value by its lower-case short name
// (assigned for SLOT_STATE_ASSIGNED).
func enumValue(values map[string]int32, prefix, name string) (int32, error) {
	v, ok := values[prefix+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))]
	if !ok || v == 0 {
		return 0, fmt.Errorf("unknown %s value %q", strings.ToLower(strings.TrimSuffix(prefix, "_")), name)
	}
	return v, nil
}

// frozenView is a deep copy of a view, to check that plan leaves its
// input alone.
type frozenView struct {
	w       *pb.Workload
	jobs    map[uint32]job
	running map[uint32]bool
	rounds  map[string]roundDuty
	prover  *pb.Prover
	rest    view
}

func cloneView(v view) frozenView {
	f := frozenView{w: proto.Clone(v.w).(*pb.Workload), jobs: map[uint32]job{}, running: maps.Clone(v.running),
		rounds: maps.Clone(v.rounds), rest: v}
	for k, j := range v.jobs {
		j.Identities = maps.Clone(j.Identities)
		f.jobs[k] = j
	}
	if v.self.prover != nil {
		f.prover = proto.Clone(v.self.prover).(*pb.Prover)
	}
	return f
}

func sameView(f frozenView, v view) error {
	switch {
	case !proto.Equal(f.w, v.w):
		return errors.New("the workload")
	case !reflect.DeepEqual(f.jobs, v.jobs):
		return errors.New("the jobs")
	case !maps.Equal(f.running, v.running):
		return errors.New("the running workers")
	case !maps.Equal(f.rounds, v.rounds):
		return errors.New("the verification rounds")
	case (f.prover == nil) != (v.self.prover == nil) || f.prover != nil && !proto.Equal(f.prover, v.self.prover):
		return errors.New("the prover record")
	case f.rest.self != v.self || f.rest.tip != v.tip:
		return errors.New("the standing or the tip")
	}
	return nil
}

// cmdArgs are a command's arguments, each to be used exactly once: an
// argument no handler reads is an error, as is a malformed value.
type cmdArgs struct {
	vals  map[string]string
	words []string
}

func parseArgs(in []datadriven.CmdArg) (*cmdArgs, error) {
	a := &cmdArgs{vals: map[string]string{}}
	for _, c := range in {
		switch {
		case len(c.Vals) == 0:
			a.words = append(a.words, c.Key)
		case a.vals[c.Key] != "":
			return nil, fmt.Errorf("argument %s given twice", c.Key)
		default:
			a.vals[c.Key] = strings.Join(c.Vals, ",")
		}
	}
	return a, nil
}

// parseLine reads a slot line: bare words and key=value pairs.
func parseLine(line string) (*cmdArgs, error) {
	var in []datadriven.CmdArg
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			in = append(in, datadriven.CmdArg{Key: f})
		case k == "" || v == "":
			return nil, fmt.Errorf("malformed %q", f)
		default:
			in = append(in, datadriven.CmdArg{Key: k, Vals: []string{v}})
		}
	}
	return parseArgs(in)
}

func (a *cmdArgs) take(k string) (string, bool) {
	v, ok := a.vals[k]
	delete(a.vals, k)
	return v, ok
}

// flag takes a bare word.
func (a *cmdArgs) flag(k string) bool {
	i := slices.Index(a.words, k)
	if i < 0 {
		return false
	}
	a.words = slices.Delete(a.words, i, i+1)
	return true
}

// takeBare takes the first bare word.
func (a *cmdArgs) takeBare() (string, bool) {
	if len(a.words) == 0 {
		return "", false
	}
	v := a.words[0]
	a.words = a.words[1:]
	return v, true
}

// bare takes the first bare word, which the command needs.
func (a *cmdArgs) bare() (string, error) {
	v, ok := a.takeBare()
	if !ok {
		return "", errors.New("missing the command's subject")
	}
	return v, nil
}

func (a *cmdArgs) bareInt() (int64, error) {
	v, err := a.bare()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

func (a *cmdArgs) int(k string, def int64) (int64, error) {
	v, ok := a.take(k)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%s: %w", k, v, err)
	}
	return n, nil
}

func (a *cmdArgs) uint64(k string, def uint64) (uint64, error) {
	v, ok := a.take(k)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%s: %w", k, v, err)
	}
	return n, nil
}

func (a *cmdArgs) uint32(k string, def uint32) (uint32, error) {
	n, err := a.uint64(k, uint64(def))
	if err != nil {
		return 0, err
	}
	if n > 1<<32-1 {
		return 0, fmt.Errorf("%s=%d: out of range", k, n)
	}
	return uint32(n), nil
}

// unused reports arguments no handler read: a typo must not pass silently.
func (a *cmdArgs) unused() error {
	var left []string
	for k := range a.vals {
		left = append(left, k+"=")
	}
	left = append(left, a.words...)
	if len(left) == 0 {
		return nil
	}
	sort.Strings(left)
	return fmt.Errorf("unknown or unused arguments: %s", strings.Join(left, " "))
}
