package localnet

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
)

// TestCreate checks a localnet's homes: one genesis whose validator set is
// the validators only, the provers' keys funded in it, prover homes that
// peer with every validator, and a layout that loads back.
func TestCreate(t *testing.T) {
	s := Spec{Dir: t.TempDir(), ChainID: "ln-test", Validators: 3, Provers: 2, Accounts: 1, Balance: 777, BasePort: 30000, BlockTime: time.Second}
	l, err := Create(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(s); err == nil {
		t.Fatal("created a second localnet over the first")
	}
	back, err := Load(s.Dir)
	if err != nil || len(back.Nodes) != 5 {
		t.Fatalf("load: %v, %d nodes", err, len(back.Nodes))
	}
	var genesis []byte
	for _, n := range l.Nodes {
		g, err := os.ReadFile(node.GenesisFile(n.Home))
		if err != nil {
			t.Fatal(err)
		}
		if genesis != nil && string(g) != string(genesis) {
			t.Fatalf("%s has another genesis", n.Name)
		}
		genesis = g
	}
	doc, err := cmttypes.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != s.Validators {
		t.Fatalf("genesis has %d validators, want %d", len(doc.Validators), s.Validators)
	}
	var app protocol.Genesis
	if err := json.Unmarshal(doc.AppState, &app); err != nil {
		t.Fatal(err)
	}
	funded := map[string]uint64{}
	for _, a := range app.Accounts {
		funded[a.Address.String()] = a.Balance
	}
	if len(funded) != s.Accounts+s.Provers {
		t.Fatalf("%d funded accounts, want %d", len(funded), s.Accounts+s.Provers)
	}
	for i, n := range l.Nodes[s.Validators:] {
		if n.Role != RoleProver || n.Name != "prover"+strconv.Itoa(i) {
			t.Fatalf("node %+v", n)
		}
		k, err := client.LoadKey(node.KeysDir(n.Home), n.Name)
		if err != nil || funded[k.Address()] != s.Balance {
			t.Fatalf("%s's key: %v, balance %d", n.Name, err, funded[k.Address()])
		}
		cfg, err := node.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(cfg.P2P.PersistentPeers, "@"); got != s.Validators {
			t.Fatalf("%s peers with %d nodes, want the %d validators", n.Name, got, s.Validators)
		}
		if len(cfg.Blobs.Peers) != len(l.Nodes)-1 {
			t.Fatalf("%s fetches blobs from %d nodes, want %d", n.Name, len(cfg.Blobs.Peers), len(l.Nodes)-1)
		}
	}
}

// TestSpecCheck refuses a localnet that cannot run.
func TestSpecCheck(t *testing.T) {
	ok := Spec{Validators: 4, Provers: 6, BasePort: 46656, BlockTime: time.Second}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]Spec{
		"no validators":    {Validators: 0, BasePort: 46656, BlockTime: time.Second},
		"negative":         {Validators: 1, Provers: -1, BasePort: 46656, BlockTime: time.Second},
		"ports past 65535": {Validators: 4, Provers: 6, BasePort: 65500, BlockTime: time.Second},
		"zero block time":  {Validators: 1, BasePort: 46656},
	} {
		if s.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestStalePIDIsNotRunning: a pid file naming a process that is not this
// node (here the test itself) or no process at all counts as not running,
// and Stop leaves such processes alone.
func TestStalePIDIsNotRunning(t *testing.T) {
	dir := t.TempDir()
	l := &Layout{Dir: dir, Nodes: []Node{{Name: "node0", Home: dir + "/node0"}, {Name: "node1", Home: dir + "/node1"}}}
	if err := os.WriteFile(PIDFile(dir, "node0"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(PIDFile(dir, "node1"), []byte("999999999"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range l.Nodes {
		if pid := runningPID(dir, n); pid != 0 {
			t.Fatalf("%s counted as running as pid %d", n.Name, pid)
		}
	}
	stopped, err := Stop(l, StopOptions{})
	if err != nil || len(stopped) != 0 {
		t.Fatalf("stop: %v %+v", err, stopped)
	}
	if _, err := os.Stat(PIDFile(dir, "node0")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale pid file kept")
	}
}

// TestPortInUse names the node and address whose port is taken.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := Spec{Validators: 1, BasePort: port - 1, BlockTime: time.Second} // its rpc port is taken
	var pe *PortInUseError
	if err := s.CheckPorts(); !errors.As(err, &pe) || pe.Node != "node0" || !strings.HasPrefix(pe.Addr, "127.0.0.1:") {
		t.Fatalf("got %v", err)
	}
}
