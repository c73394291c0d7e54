package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/sdk/zkabi"
)

// hostGuest is a WebAssembly command whose _start calls the proof-system
// host's last_error: it instantiates only where the worker hosts
// provernet_zk_v1 (internal/zkhost), and writes no proof.
func hostGuest() []byte {
	mod, fn := zkabi.Module, zkabi.FuncLastError
	imp := append([]byte{1, byte(len(mod))}, mod...)
	imp = append(append(imp, byte(len(fn))), fn...)
	imp = append(imp, 0x00, 0x00) // a function of type 0
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	var b []byte
	b = append(b, 0x00, 'a', 's', 'm', 1, 0, 0, 0)
	b = append(b, section(1, []byte{2, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0})...) // (i32,i32)->i32; ()->()
	b = append(b, section(2, imp)...)
	b = append(b, section(3, []byte{1, 1})...)    // _start has type 1
	b = append(b, section(5, []byte{1, 0, 1})...) // one page of memory
	b = append(b, section(7, []byte{2, 6, '_', 's', 't', 'a', 'r', 't', 0, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0})...)
	body := []byte{0, 0x41, 0, 0x41, 0, 0x10, 0, 0x1a, 0x0b} // last_error(0, 0); drop
	b = append(b, section(10, append([]byte{1, byte(len(body))}, body...))...)
	return b
}

// TestWorkerHostsTheProofSystem runs a job through the worker command and
// checks the guest's call reached provernet_zk_v1 (host cycles charged):
// the binary serves the worker with zkhost's hosts, not the bare sandbox.
func TestWorkerHostsTheProofSystem(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "guest.wasm")
	if err := os.WriteFile(prog, hostGuest(), 0o600); err != nil {
		t.Fatal(err)
	}
	job, _ := json.Marshal(sandbox.WorkerJob{Program: prog, Role: sandbox.Prove, InDir: t.TempDir(), Seed: make([]byte, 32),
		MemoryPages: 16, Limits: sandbox.Limits{Cycles: 1 << 30, MaxOutput: 1 << 10, Wall: time.Minute}})
	var out, errb bytes.Buffer
	if code := run([]string{sandbox.WorkerCommand}, bytes.NewReader(job), &out, &errb); code != 0 {
		t.Fatalf("worker exited %d: %s", code, errb.String())
	}
	var res sandbox.WorkerResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("worker answer %q: %v", out.String(), err)
	}
	if res.HostCycles == 0 || strings.Contains(res.Detail+res.Error, zkabi.Module) {
		t.Fatalf("the guest did not run against the proof-system host: %+v", res)
	}
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "provernet starts it"},
		{[]string{"start"}, 2, "error: unknown command line"},
		{[]string{"version"}, 0, "provernet-sandbox "},
		{[]string{"--help"}, 0, sandbox.WorkerEnv},
		{[]string{sandbox.WorkerCommand}, 1, "error: failed to read the job"}, // empty stdin
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%q: exit %d, %q %q; want exit %d and %q", tc.args, code, out.String(), errb.String(), tc.code, tc.want)
		}
	}
}
