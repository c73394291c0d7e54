package sandbox

import (
	"context"
	"errors"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/provernet/provernet/internal/sandbox/meter"
)

// Host modules: native code a program may call besides WASI, such as the
// proof-system ABI of issue 13 (provernet_zk_v1, to come). A Host is given
// to the Runner (Config.Hosts); a program importing anything else is
// refused at Compile.
//
// Invariants a host function keeps, so that outcomes stay exact:
//   - it calls Charge with a cost computed only from its arguments (sizes
//     it can read before doing any work), before it does the work: a
//     budget that cannot pay ends the run as out of cycles, with the
//     function not run, exactly as metered code runs out;
//   - it reads guest memory only through api.Memory's bounds-checked Read
//     (a range outside memory traps the program: an error outcome, never a
//     worker crash) and keeps no slice of it after returning;
//   - it recovers its own panics on its own goroutine; a panic in another
//     goroutine would kill the worker.

// Host is a host module programs may import.
type Host interface {
	// Name is the import module name, e.g. "provernet_zk_v1".
	Name() string
	// Instantiate registers the module's functions in rt.
	Instantiate(ctx context.Context, rt wazero.Runtime) error
}

// ErrOutOfCycles is the panic of a host call whose charge the budget could
// not pay; the run ends with outcome Fail.
var ErrOutOfCycles = errors.New("sandbox: out of cycles in a host call")

// runKey finds a run's state in the context its host calls get.
type runKey struct{}

// runState is what host calls record of one run.
type runState struct {
	hostCycles uint64
	info       RunInfo
	lastError  string
}

// RunInfo is what a host call may know of the run that made it.
type RunInfo struct {
	// Role is the run's role. A verifier's outcome must be the same on
	// every machine, so a host gives it nothing that could differ.
	Role   Role
	InDir  string   // host directory of the input files ("" if none)
	Inputs []string // the job's input file names, the only ones a host may open
	Cores  int      // threads the job may use
}

// Info returns the run a host call belongs to (ok false outside a run).
func Info(ctx context.Context) (RunInfo, bool) {
	st, ok := ctx.Value(runKey{}).(*runState)
	if !ok {
		return RunInfo{}, false
	}
	return st.info, true
}

// SetLastError records why a host call of this run failed, for the
// program to read (a host module's last_error function).
func SetLastError(ctx context.Context, msg string) {
	if st, ok := ctx.Value(runKey{}).(*runState); ok {
		st.lastError = msg
	}
}

// LastError returns what SetLastError recorded in this run.
func LastError(ctx context.Context) string {
	if st, ok := ctx.Value(runKey{}).(*runState); ok {
		return st.lastError
	}
	return ""
}

// Charge takes cost cycles from the calling program's budget. If the
// budget cannot pay, the remaining budget is set negative and Charge
// panics with ErrOutOfCycles: the run then ends as out of cycles (Fail),
// as metered code does. An unmetered program (bench sandbox) pays nothing.
func Charge(ctx context.Context, mod api.Module, cost uint64) {
	g, ok := mod.ExportedGlobal(meter.GasExport).(api.MutableGlobal)
	if !ok {
		return
	}
	rem := int64(g.Get())
	if rem < 0 || cost > uint64(rem) {
		g.Set(api.EncodeI64(-1))
		panic(ErrOutOfCycles)
	}
	g.Set(api.EncodeI64(rem - int64(cost)))
	if st, ok := ctx.Value(runKey{}).(*runState); ok {
		st.hostCycles += cost
	}
}
