// Package localnet runs a network of provernet nodes on one machine, each
// node a separate OS process of the same binary with its own home, the way
// operators run them on separate machines: validators started as
// `provernet start --home DIR/nodeI`, provers as non-validator full nodes
// that peer with the validators and run a prover daemon beside them
// (`provernet start --prover`).
//
// Invariants: DIR/localnet.json describes the network and never changes
// after creation; DIR/NAME.pid holds the pid of NAME's process while it may
// run (a stale one is recognised: the process is gone, or it is not a node
// of this home); DIR/logs/NAME.log collects NAME's output across starts.
// Nothing here keeps a process in memory: every command reads the files.
package localnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Roles of a localnet's nodes.
const (
	RoleValidator = "validator"
	RoleProver    = "prover"
)

// StateFile is the file naming a directory's localnet.
const StateFile = "localnet.json"

// ErrNoLocalnet is returned when a directory holds no localnet.
var ErrNoLocalnet = errors.New("no localnet")

// Layout is a localnet as created: its chain and its nodes.
type Layout struct {
	ChainID string `json:"chain_id"`
	Dir     string `json:"dir"`
	Nodes   []Node `json:"nodes"`
}

// Node is one node of a localnet and how to start it.
type Node struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Home string `json:"home"`
	P2P  string `json:"p2p"` // host:port
	RPC  string `json:"rpc"` // http://host:port
	API  string `json:"api"` // http://host:port
	// Args are the arguments of `provernet` that run it.
	Args []string `json:"args"`
}

// PIDFile is where dir keeps the pid of node name.
func PIDFile(dir, name string) string { return filepath.Join(dir, name+".pid") }

// LogFile is where dir collects node name's output.
func LogFile(dir, name string) string { return filepath.Join(dir, "logs", name+".log") }

// Load reads dir's localnet.
func Load(dir string) (*Layout, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoLocalnet, dir)
	}
	if err != nil {
		return nil, err
	}
	var l Layout
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, StateFile), err)
	}
	l.Dir = dir
	return &l, nil
}

func (l *Layout) save() error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.Dir, StateFile), append(b, '\n'), 0o600)
}

// Find returns the node named name.
func (l *Layout) Find(name string) (Node, bool) {
	for _, n := range l.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}
