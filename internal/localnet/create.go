package localnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// Spec describes a localnet to create.
type Spec struct {
	Dir        string
	ChainID    string
	Validators int
	Provers    int
	Accounts   int           // funded dev accounts, keys in DIR/node0/keys
	Balance    uint64        // uprv per funded account (provers included)
	BasePort   int           // node i listens on BasePort+10i .. +2
	BlockTime  time.Duration // CometBFT's timeout_commit
	LogLevel   string        // the nodes' log.level ("" keeps the default)
	// ChallengeProgram is the built benchmark program's directory; ""
	// leaves challenges off (node.InitOptions).
	ChallengeProgram string
	// ProverCapacity is how many workloads each prover proves at once, its
	// declared max_concurrent (0: 1).
	ProverCapacity int
}

// ProverDeclaration is what each localnet prover declares when it
// registers: one core and the 1024 MiB the example programs need (the
// devnet's provers declare the same), so that six of them share a laptop.
var ProverDeclaration = node.DevnetProver

// Check validates s.
func (s Spec) Check() error {
	switch {
	case s.Validators < 1:
		return fmt.Errorf("a localnet needs at least one validator, got %d", s.Validators)
	case s.Provers < 0 || s.Accounts < 0:
		return errors.New("--provers and --accounts cannot be negative")
	case s.BlockTime <= 0:
		return fmt.Errorf("block time must be positive, got %s", s.BlockTime)
	case s.ProverCapacity < 0 || s.ProverCapacity > 1024:
		return fmt.Errorf("prover capacity %d is outside 0..1024", s.ProverCapacity)
	case s.BasePort < 1024 || s.lastPort() > 65535:
		return fmt.Errorf("ports %d..%d are outside 1024..65535", s.BasePort, s.lastPort())
	}
	return nil
}

func (s Spec) lastPort() int { return s.BasePort + 10*(s.Validators+s.Provers-1) + 2 }

// ports are node i's p2p, rpc and api ports (validators first, then provers).
func (s Spec) ports(i int) (int, int, int) {
	p := s.BasePort + 10*i
	return p, p + 1, p + 2
}

// Create writes the homes of s's localnet into s.Dir, which must not hold
// one, and returns its layout. Nothing is started.
func Create(s Spec) (*Layout, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	l := &Layout{ChainID: s.ChainID, Dir: s.Dir}
	var proverHomes []string
	for i := 0; i < s.Validators+s.Provers; i++ {
		n := s.node(i)
		l.Nodes = append(l.Nodes, n)
		if n.Role == RoleProver {
			proverHomes = append(proverHomes, n.Home)
		}
	}
	accounts, err := s.keys(l)
	if err != nil {
		return nil, err
	}
	params := node.DevnetParams()
	configure := func(i int, c *node.Config) {
		c.Moniker = l.Nodes[i].Name
		c.Chain.BlockTime = node.Duration{Duration: s.BlockTime}
		if s.LogLevel != "" {
			c.Log.Level = s.LogLevel
		}
		for j, n := range l.Nodes { // a node fetches missing blobs (programs, inputs) from the others
			if j != i {
				c.Blobs.Peers = append(c.Blobs.Peers, n.API)
			}
		}
	}
	_, err = node.InitNetworkWithFullNodes(
		node.NetworkOptions{Dir: s.Dir, Validators: s.Validators, ChainID: s.ChainID, Ports: s.ports, Configure: configure},
		node.FullNodes{Homes: proverHomes,
			Ports:     func(i int) (int, int, int) { return s.ports(s.Validators + i) },
			Configure: func(i int, c *node.Config) { configure(s.Validators+i, c) }},
		node.InitOptions{Accounts: accounts, Params: &params, ChallengeProgram: s.ChallengeProgram})
	if err != nil {
		return nil, err
	}
	return l, l.save()
}

// node is the i-th node of s: validators node0.., then provers prover0...
func (s Spec) node(i int) Node {
	p2p, rpc, api := s.ports(i)
	n := Node{Role: RoleValidator, Name: fmt.Sprintf("node%d", i),
		P2P: fmt.Sprintf("127.0.0.1:%d", p2p), RPC: fmt.Sprintf("http://127.0.0.1:%d", rpc), API: fmt.Sprintf("http://127.0.0.1:%d", api)}
	if i >= s.Validators {
		n.Role, n.Name = RoleProver, fmt.Sprintf("prover%d", i-s.Validators)
	}
	n.Home = filepath.Join(s.Dir, n.Name)
	n.Args = []string{"start", "--home", n.Home}
	if n.Role == RoleProver {
		n.Args = append(n.Args, "--prover", "--prover-key", n.Name, "--prover-label", n.Name, "--prover-capacity", strconv.Itoa(max(s.ProverCapacity, 1)),
			"--prover-cpu", strconv.Itoa(int(ProverDeclaration.CPUCores)),
			"--prover-memory-mb", strconv.FormatUint(ProverDeclaration.MemoryMB, 10))
	}
	return n
}

// keys creates the dev accounts' keys (in node0's home) and each prover's
// key (in its own home), and returns their genesis balances.
func (s Spec) keys(l *Layout) ([]protocol.GenesisAccount, error) {
	var out []protocol.GenesisAccount
	add := func(dir, name string) error {
		k, err := client.GenerateKey(name)
		if err != nil {
			return err
		}
		if err := client.SaveKey(dir, k); err != nil {
			return err
		}
		out = append(out, protocol.GenesisAccount{Address: address.FromPublicKey(k.PublicKey()), Balance: s.Balance})
		return nil
	}
	for i := 0; i < s.Accounts; i++ {
		if err := add(node.KeysDir(l.Nodes[0].Home), fmt.Sprintf("dev%d", i)); err != nil {
			return nil, err
		}
	}
	for _, n := range l.Nodes {
		if n.Role == RoleProver {
			if err := add(node.KeysDir(n.Home), n.Name); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// FreeBasePort picks a base port at random in 20000..59990 under which
// every port s would use is free now (another process may still take one
// before the nodes listen).
func (s Spec) FreeBasePort() (int, error) {
	for try := 0; try < 50; try++ {
		s.BasePort = 20000 + 10*rand.IntN(4000)
		if s.lastPort() <= 65535 && s.CheckPorts() == nil {
			return s.BasePort, nil
		}
	}
	return 0, errors.New("no free range of ports on 127.0.0.1")
}

// CheckPorts checks that every port s would use is free.
func (s Spec) CheckPorts() error {
	for i := 0; i < s.Validators+s.Provers; i++ {
		if err := portsFree(s.node(i)); err != nil {
			return err
		}
	}
	return nil
}
