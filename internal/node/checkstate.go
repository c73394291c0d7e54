package node

import (
	"fmt"
	"os"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
)

// StateCheck is what CheckState found in a stopped node's state.
type StateCheck struct {
	Height  int64  `json:"height"`   // the latest committed version
	AppHash string `json:"app_hash"` // its root hash, hex
	// Err is the first broken invariant ("" when every one holds).
	Err string `json:"error,omitempty"`
}

// CheckState opens the application state of the node at home, which must
// not be running (the store takes a lock), and runs every invariant of
// protocol.CheckInvariants over its latest committed version: the supply,
// every workload, every prover, the indexes against full scans. It writes
// nothing. An error means the state could not be read; a broken invariant
// is reported in StateCheck.Err.
func CheckState(home string) (*StateCheck, error) {
	dir := appDir(home)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no application state under %s: %w", home, err)
	}
	tree, err := iavltree.OpenDisk(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("open the state of %s (is its node stopped?): %w", home, err)
	}
	defer tree.Close()
	v := tree.Version()
	out := &StateCheck{Height: v, AppHash: fmt.Sprintf("%X", tree.Hash())}
	if v == 0 {
		return out, nil
	}
	snap, err := tree.At(v)
	if err != nil {
		return nil, err
	}
	if err := protocol.CheckInvariants(snap); err != nil {
		out.Err = err.Error()
	}
	return out, nil
}
