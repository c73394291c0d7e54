package sandbox

import (
	"fmt"
	"time"
)

// Role says whether a run proves or verifies.
type Role int

// Roles.
const (
	Prove Role = iota
	Verify
)

func (r Role) String() string {
	if r == Verify {
		return "verify"
	}
	return "prove"
}

// Outcome is how a run ended.
type Outcome string

// Outcomes. Proof: the program completed (exit 0). Fail: it reached its
// cycle limit. Error: it exited non-zero, trapped, or broke a limit other
// than cycles (output size, memory); for a verifier, exit 1 means the proof
// is invalid and is reported as Invalid.
const (
	OutcomeProof   Outcome = "proof"
	OutcomeValid   Outcome = "valid"
	OutcomeInvalid Outcome = "invalid"
	OutcomeFail    Outcome = "fail"
	OutcomeError   Outcome = "error"
)

// Limits bound one run.
type Limits struct {
	Cycles      uint64        // the budget; the run fails when it is spent
	MaxOutput   int64         // bytes /out/proof may hold
	MemoryPages uint32        // WebAssembly pages (64 KiB); set on the Runner
	Wall        time.Duration // wall-clock backstop; 0: none
}

// Job is one run of a program.
type Job struct {
	Program [32]byte // the compiled program (Runner.Compile's key)
	Role    Role
	InDir   string   // host directory mounted read-only at /in
	Inputs  []string // file names inside InDir, passed as arguments
	Seed    []byte   // prover randomness (32 bytes); ignored for verifiers
	Limits  Limits
	// Cores is how many threads host calls may use (0: GOMAXPROCS). The
	// program itself is single-threaded WebAssembly.
	Cores int
}

// Result is what a run produced.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Cycles  uint64  `json:"cycles"` // cycles used (the budget, if it ran out), host calls' charges included
	// HostCycles is the part of Cycles host calls charged (hostcall.go).
	HostCycles uint64 `json:"host_cycles,omitempty"`
	ExitCode   uint32 `json:"exit_code"` // the program's exit code
	Output     []byte `json:"-"`         // the contents of /out/proof
	Stderr     string `json:"stderr,omitempty"`
	Detail     string `json:"detail,omitempty"` // why an Error
	// Machine says the run ended because of the machine, not the program
	// (MachineWall, MachineDied; "" for every other ending). Callers decide
	// by this field, never by Detail, whose text a program can shape (a
	// trap's detail quotes the program's own function names).
	Machine string        `json:"machine,omitempty"`
	Wall    time.Duration `json:"wall"`
	// CPU is the worker process's CPU time during the job (all its
	// threads: the program and the host calls); 0 in process.
	CPU time.Duration `json:"cpu,omitempty"`
}

// Machine causes.
const (
	MachineWall = "wall-clock" // stopped by the wall-clock backstop
	MachineDied = "worker-died"
)

func (r *Result) String() string {
	return fmt.Sprintf("%s after %d cycles (exit %d)", r.Outcome, r.Cycles, r.ExitCode)
}
