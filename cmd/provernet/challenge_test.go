package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/blob"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
)

// buildBench builds the benchmark program's modules into a directory, as
// `make programs` does.
func buildBench(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, role := range []string{"prover", "verifier"} {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(dir, role+".wasm"), "../../examples/programs/bench/"+role)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", role, err, b)
		}
	}
	return dir
}

func readAppGenesis(t *testing.T, home string) protocol.Genesis {
	t.Helper()
	doc, err := types.GenesisDocFromFile(node.GenesisFile(home))
	if err != nil {
		t.Fatal(err)
	}
	var g protocol.Genesis
	if err := json.Unmarshal(doc.AppState, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestInitDeploysChallengeProgram checks that `init` makes a genesis with
// challenges on: the bench program deployed by the genesis, named as
// challenge_program, and its modules in the home's blob store for the
// node to serve. (Before issue 12 the genesis had no challenge_program.)
func TestInitDeploysChallengeProgram(t *testing.T) {
	bench := buildBench(t)
	home := filepath.Join(t.TempDir(), "node")
	out, stderr, code := provernet(t, "init", "--home", home, "--challenge-program", bench, "-o", "json")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	var res node.InitResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	g := readAppGenesis(t, home)
	if err := g.Validate(); err != nil {
		t.Fatalf("genesis invalid: %v", err)
	}
	if len(g.Programs) != 1 || g.Params.ChallengeProgram == "" || g.Params.ChallengeProgram != hex.EncodeToString(g.Programs[0].ID()) ||
		res.ChallengeProgram != g.Params.ChallengeProgram || g.Params.AdmissionChallenges == 0 {
		t.Fatalf("challenges are not on: challenge_program %q, programs %+v, init said %q", g.Params.ChallengeProgram, g.Programs, res.ChallengeProgram)
	}
	s, err := blob.Open(node.BlobDir(home), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"prover", "verifier"} {
		b, _ := os.ReadFile(filepath.Join(bench, role+".wasm"))
		sum := sha256.Sum256(b)
		if !s.Has(sum) {
			t.Errorf("the %s module is not in the home's blob store", role)
		}
	}
	// The program id is the client's for the same modules.
	pv, vf := moduleOf(t, filepath.Join(bench, "prover.wasm")), moduleOf(t, filepath.Join(bench, "verifier.wasm"))
	if id, _ := client.ProgramID(pv, vf); id != g.Params.ChallengeProgram {
		t.Errorf("challenge_program %s, the modules' program id %s", g.Params.ChallengeProgram, id)
	}
}

func moduleOf(t *testing.T, path string) *wire.Module {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return &wire.Module{SHA256: hex.EncodeToString(sum[:]), Size: uint64(len(b))}
}

// TestInitWithoutChallengeProgram checks that init refuses, with a hint,
// when the benchmark program is not built, and that --no-challenges is
// the explicit way to a chain that trusts every claim.
func TestInitWithoutChallengeProgram(t *testing.T) {
	home := filepath.Join(t.TempDir(), "node")
	_, stderr, code := provernet(t, "init", "--home", home, "--challenge-program", filepath.Join(t.TempDir(), "missing"))
	if code == 0 || !strings.Contains(stderr, "hint:") || !strings.Contains(stderr, "make programs") || !strings.Contains(stderr, "--no-challenges") {
		t.Fatalf("init without the program: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(node.GenesisFile(home)); err == nil {
		t.Fatal("init wrote a genesis although it refused")
	}
	out, stderr, code := provernet(t, "init", "--home", home, "--no-challenges")
	if code != 0 || !strings.Contains(out, "challenges         off") {
		t.Fatalf("init --no-challenges: exit %d: %s %s", code, out, stderr)
	}
	if g := readAppGenesis(t, home); g.Params.ChallengeProgram != "" || len(g.Programs) != 0 {
		t.Fatalf("--no-challenges made challenge_program %q", g.Params.ChallengeProgram)
	}
}

// TestDevnetChallengeDir checks the devnet's choice: the built bench
// program when there, else none (with a warning).
func TestDevnetChallengeDir(t *testing.T) {
	progs := t.TempDir()
	if _, err := devnetChallengeDir(progs, false); err == nil {
		t.Fatal("no built bench, yet challenges chosen")
	}
	_ = os.MkdirAll(filepath.Join(progs, "bench"), 0o700)
	for _, f := range []string{"prover.wasm", "verifier.wasm"} {
		_ = os.WriteFile(filepath.Join(progs, "bench", f), []byte("x"), 0o600)
	}
	if dir, err := devnetChallengeDir(progs, false); err != nil || dir != filepath.Join(progs, "bench") {
		t.Fatalf("built bench: %q, %v", dir, err)
	}
	if dir, err := devnetChallengeDir(progs, true); err != nil || dir != "" {
		t.Fatalf("--no-challenges: %q, %v", dir, err)
	}
}

func TestParseGPUs(t *testing.T) {
	got, err := parseGPUs([]string{"rtx-4090:24GiB", "H100 80GB:81920", "a:1M"})
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.GPU{{Model: "rtx-4090", MemoryMB: 24576}, {Model: "H100 80GB", MemoryMB: 81920}, {Model: "a", MemoryMB: 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("gpu %d: got %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"rtx-4090", ":24GiB", "rtx-4090:", "rtx-4090:0", "rtx-4090:-1", "rtx-4090:lots"} {
		if _, err := parseGPUs([]string{bad}); err == nil {
			t.Errorf("--gpu %q accepted", bad)
		}
	}
}

func TestCheckHardwareGPUs(t *testing.T) {
	ok := wire.Hardware{CPUCores: 4, MemoryMB: 4096, GPUs: []wire.GPU{{Model: "rtx-4090", MemoryMB: 24576}}}
	if err := checkHardware(ok); err != nil {
		t.Fatal(err)
	}
	many := ok
	many.GPUs = nil
	for range protocol.MaxGPUs + 1 {
		many.GPUs = append(many.GPUs, wire.GPU{Model: "a", MemoryMB: 1})
	}
	for name, hw := range map[string]wire.Hardware{
		"17 GPUs":       many,
		"model newline": {CPUCores: 1, MemoryMB: 1, GPUs: []wire.GPU{{Model: "a\nb", MemoryMB: 1}}},
		"model long":    {CPUCores: 1, MemoryMB: 1, GPUs: []wire.GPU{{Model: strings.Repeat("a", 65), MemoryMB: 1}}},
		"huge memory":   {CPUCores: 1, MemoryMB: 1, GPUs: []wire.GPU{{Model: "a", MemoryMB: protocol.MaxGPUMemoryMB + 1}}},
		"no cores":      {MemoryMB: 1},
	} {
		if err := checkHardware(hw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRegisterRefusesBadGPUFlag checks that `tx prover register` refuses a
// bad --gpu before it makes a VRF key or sends anything.
func TestRegisterRefusesBadGPUFlag(t *testing.T) {
	home := t.TempDir()
	_, stderr, code := provernet(t, "tx", "prover", "register", "--home", home, "--from", "alice", "--gpu", "rtx-4090")
	if code == 0 || !strings.Contains(stderr, "invalid --gpu") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stderr, code = provernet(t, "tx", "prover", "register", "--home", home, "--from", "alice", "--gpu", "x:1", "--gpu", "y\tz:1")
	if code == 0 || !strings.Contains(stderr, "GPU 1") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(client.DefaultKeysDir(home), "alice.vrf.json")); err == nil {
		t.Fatal("a VRF key was made for a refused registration")
	}
}

// TestTestnetHomesUnderDir: testnet puts its homes under --dir, whatever
// the challenge program's directory (a shadowed variable once put them in
// the program's directory, or the working directory).
func TestTestnetHomesUnderDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "testnet")
	_, stderr, code := provernet(t, "testnet", "--validators", "2", "--dir", dir, "--no-challenges")
	if code != 0 {
		t.Fatalf("testnet: exit %d: %s", code, stderr)
	}
	for i := range 2 {
		if _, err := os.Stat(node.GenesisFile(filepath.Join(dir, fmt.Sprintf("node%d", i)))); err != nil {
			t.Fatalf("node%d's home is not under --dir: %v", i, err)
		}
	}
}
