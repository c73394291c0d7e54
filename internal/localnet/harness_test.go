package localnet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/localnet"
)

// The fault tests drive the real binary: `provernet localnet` starts each
// node as its own process on loopback, `localnet stop --node --kill`
// crashes one, `localnet --node` starts it again.

const blockTime = 300 * time.Millisecond

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// provernetBin builds cmd/provernet once per test binary.
func provernetBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = mkTemp()
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "provernet")
		// provernet-sandbox beside it runs the provers' sandbox jobs.
		out, err := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "../../cmd/provernet", "../../cmd/provernet-sandbox").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// testnet is a running localnet of a test.
type testnet struct {
	t        *testing.T
	bin, dir string
	api      map[string]*client.Client
}

// logLevel is the nodes' log level: error, unless PROVERNET_TEST_LOG_LEVEL
// says otherwise (with PROVERNET_TEST_KEEP set, a failed test keeps the
// logs).
func logLevel() string {
	if l := os.Getenv("PROVERNET_TEST_LOG_LEVEL"); l != "" {
		return l
	}
	return "error"
}

// startNet starts a localnet of v validators and no provers.
func startNet(t *testing.T, v int) *testnet { return startNetWith(t, v, 0) }

// startNetWith starts a localnet of v validators and p provers (two dev
// accounts funded, no hardware challenges).
func startNetWith(t *testing.T, v, p int) *testnet {
	t.Helper()
	n := &testnet{t: t, bin: provernetBin(t), dir: t.TempDir(), api: map[string]*client.Client{}}
	base := freeBase(t, v+p)
	var info struct {
		Nodes []localnet.NodeStatus `json:"nodes"`
	}
	n.runJSON(&info, "localnet", "--dir", n.dir, "--validators", strconv.Itoa(v), "--provers", strconv.Itoa(p), "--accounts", strconv.Itoa(min(p, 1)*2),
		"--no-challenges", "--base-port", strconv.Itoa(base), "--block-time", blockTime.String(), "--log-level", logLevel(), "--ready-timeout", "60s")
	t.Cleanup(func() {
		_, _ = exec.Command(n.bin, "localnet", "stop", "--dir", n.dir, "--timeout", "5s").CombinedOutput()
		if t.Failed() && os.Getenv("PROVERNET_TEST_KEEP") != "" {
			keep, _ := os.MkdirTemp("", "provernet-localnet-failed-")
			_ = exec.Command("cp", "-r", filepath.Join(n.dir, "logs"), keep).Run()
			t.Logf("logs kept in %s", keep)
		}
	})
	if len(info.Nodes) != v+p {
		t.Fatalf("localnet printed %d nodes, want %d", len(info.Nodes), v+p)
	}
	for _, s := range info.Nodes {
		if !s.Running || s.PID == 0 {
			t.Fatalf("node after start: %+v", s)
		}
		n.api[s.Name] = client.New(s.API)
	}
	return n
}

// run runs the binary and fails the test if it fails.
func (n *testnet) run(args ...string) []byte {
	n.t.Helper()
	out, err := exec.Command(n.bin, args...).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		n.t.Fatalf("provernet %v: %v\n%s%s", args, err, out, stderr)
	}
	return out
}

func (n *testnet) runJSON(v any, args ...string) {
	n.t.Helper()
	out := n.run(append(args, "--output", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		n.t.Fatalf("provernet %v: %v\n%s", args, err, out)
	}
}

// kill crashes the named nodes (SIGKILL).
func (n *testnet) kill(names ...string) {
	n.t.Helper()
	args := []string{"localnet", "stop", "--dir", n.dir, "--kill"}
	for _, name := range names {
		args = append(args, "--node", name)
	}
	var out struct {
		Stopped []localnet.Stopped `json:"stopped"`
	}
	n.runJSON(&out, args...)
	if len(out.Stopped) != len(names) {
		n.t.Fatalf("killed %+v, want %v", out.Stopped, names)
	}
}

// restart starts the named nodes again.
func (n *testnet) restart(names ...string) {
	n.t.Helper()
	args := []string{"localnet", "--dir", n.dir}
	for _, name := range names {
		args = append(args, "--node", name)
	}
	n.run(args...)
}

// status is `localnet status --output json`'s nodes by name.
func (n *testnet) status() map[string]localnet.NodeStatus {
	n.t.Helper()
	var st struct {
		Nodes []localnet.NodeStatus `json:"nodes"`
	}
	n.runJSON(&st, "localnet", "status", "--dir", n.dir)
	out := map[string]localnet.NodeStatus{}
	for _, s := range st.Nodes {
		out[s.Name] = s
	}
	return out
}

// height is a node's latest height, 0 if its API does not answer.
func (n *testnet) height(name string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := n.api[name].Status(ctx)
	if err != nil {
		return 0
	}
	return st.Height
}

// waitHeight waits until every named node is at height h or above.
func (n *testnet) waitHeight(h int64, limit time.Duration, names ...string) {
	n.t.Helper()
	deadline := time.Now().Add(limit)
	for _, name := range names {
		for n.height(name) < h {
			if time.Now().After(deadline) {
				n.t.Fatalf("%s at height %d, not %d, after %s", name, n.height(name), h, limit)
			}
			time.Sleep(blockTime / 3)
		}
	}
}

// maxHeight is the highest height among the named nodes.
func (n *testnet) maxHeight(names ...string) int64 {
	var h int64
	for _, name := range names {
		h = max(h, n.height(name))
	}
	return h
}

// sameChain checks that the named nodes hold the same block (hash) and
// the same app hash at every height in from..to: no fork, no divergence.
func (n *testnet) sameChain(from, to int64, names ...string) {
	n.t.Helper()
	ctx := context.Background()
	for h := from; h <= to; h++ {
		var ref string
		for i, name := range names {
			b, err := n.api[name].Block(ctx, h)
			if err != nil {
				n.t.Fatalf("%s block %d: %v", name, h, err)
			}
			got := b.Hash + "/" + b.AppHash
			if i == 0 {
				ref = got
			} else if got != ref {
				n.t.Fatalf("height %d: %s has block/app hash %s, %s has %s", h, names[0], ref, name, got)
			}
		}
	}
}

// validators are the names node0..node(v-1).
func validators(v int) []string {
	out := make([]string, v)
	for i := range out {
		out[i] = fmt.Sprintf("node%d", i)
	}
	return out
}

// freeBase finds a base port whose v nodes' ports are all free.
func freeBase(t *testing.T, v int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := 20000 + 10*rand.IntN(4000)
		if portsFree(base, 10*v) {
			return base
		}
	}
	t.Fatal("no free range of ports on 127.0.0.1")
	return 0
}

func portsFree(base, k int) bool {
	for p := base; p < base+k; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// proverAddress is the account address of prover node name.
func (n *testnet) proverAddress(name string) string {
	n.t.Helper()
	k, err := client.LoadKey(filepath.Join(n.dir, name, "keys"), name)
	if err != nil {
		n.t.Fatal(err)
	}
	return k.Address()
}

// proverNamed is the prover node whose account is addr.
func (n *testnet) proverNamed(addr string) string {
	n.t.Helper()
	for name := range n.api {
		if strings.HasPrefix(name, "prover") && n.proverAddress(name) == addr {
			return name
		}
	}
	n.t.Fatalf("no prover node has address %s", addr)
	return ""
}

// buildSHAChain builds the sha256-chain example into dir/sha256-chain,
// with its sample input, as node.DeployExamples reads it.
func buildSHAChain(dir string) error {
	out := filepath.Join(dir, "sha256-chain")
	for _, role := range []string{"prover", "verifier"} {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(out, role+".wasm"), "../../examples/programs/sha256-chain/"+role)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w\n%s", role, err, b)
		}
	}
	in, err := os.ReadFile("../../examples/programs/sha256-chain/input.json")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "input.json"), in, 0o600)
}
