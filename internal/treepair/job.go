package treepair

import (
	"fmt"
	"os"
	"path/filepath"
)

// The job format between a prover daemon and provernet-sandbox's
// tree-node command (internal/treezk), which proves one node of the
// gnark pair: the daemon does not link gnark.

// NodeCommand is the provernet-sandbox command that proves one node
// of the gnark pair.
const NodeCommand = "tree-node"

// NodeRequest is what the tree-node command reads: the keys, the
// level's verifying key as the chain names it (and the level below's,
// for a merge), and the node.
type NodeRequest struct {
	Keys    string     `json:"keys"`
	Level   uint32     `json:"level"`
	VK      []byte     `json:"vk"`
	ChildVK []byte     `json:"child_vk,omitempty"`
	Prover  string     `json:"prover"` // hex, 20 bytes
	Tree    string     `json:"tree"`   // hex, 32 bytes
	Node    uint32     `json:"node"`
	A       string     `json:"a,omitempty"` // a base node's inputs' hashes (hex)
	B       string     `json:"b,omitempty"`
	Left    *NodeChild `json:"left,omitempty"` // a merge node's children
	Right   *NodeChild `json:"right,omitempty"`
}

// NodeChild is a child proof a merge aggregates.
type NodeChild struct {
	Proof   []byte `json:"proof"`
	Outputs []byte `json:"outputs"`
}

// NodeResult is what the tree-node command writes.
type NodeResult struct {
	Proof   []byte  `json:"proof"`
	Outputs []byte  `json:"outputs"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

// LevelName is the file name stem of a level's keys in a keys
// directory: "base" for level 0, "merge-L" for merge level L
// (internal/treezk writes NAME.ccs, NAME.pk, NAME.vk and NAME.child).
func LevelName(level int) string {
	if level == 0 {
		return "base"
	}
	return fmt.Sprintf("merge-%d", level)
}

// ReadVerifyingKeys reads the verifying keys of a keys directory, the
// base level's and each merge level's from 1 up to the first missing:
// what a genesis's tree_gnark_base_vk and tree_gnark_merge_vks hold.
func ReadVerifyingKeys(dir string) (base []byte, merges [][]byte, err error) {
	if base, err = os.ReadFile(filepath.Join(dir, LevelName(0)+".vk")); err != nil {
		return nil, nil, err
	}
	for level := 1; ; level++ {
		vk, err := os.ReadFile(filepath.Join(dir, LevelName(level)+".vk"))
		if os.IsNotExist(err) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		merges = append(merges, vk)
	}
	if len(merges) == 0 {
		return nil, nil, fmt.Errorf("%s has no merge level's keys (merge-1.vk)", dir)
	}
	return base, merges, nil
}
