package prover

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
)

// The gnark pair in the daemon. The node binary does not link gnark, so
// a node is proved by provernet-sandbox's tree-node command (internal/
// treezk): the daemon writes a NodeRequest as JSON on its stdin and
// reads a NodeResult from its stdout. The keys are read from
// Config.TreeKeysDir, and a level whose verifying key is not the one the
// chain names is refused there (its proofs would not verify).

// gnarkWall bounds one node's proving: a merge takes minutes on a small
// machine (docs/TREES.md, "The gnark pair").
const gnarkWall = 30 * time.Minute

// gnarkProgram runs the gnark pair through provernet-sandbox.
type gnarkProgram struct {
	exe string   // provernet-sandbox (Config.Exe)
	dir string   // the keys (Config.TreeKeysDir)
	vks [][]byte // the chain's verifying keys, base first
}

func (*gnarkProgram) name() string      { return "the gnark pair" }
func (*gnarkProgram) background() bool  { return true }
func (*gnarkProgram) oneChild() bool    { return true }
func (*gnarkProgram) needsProofs() bool { return true }

func (g *gnarkProgram) prove(ctx context.Context, j nodeJob) ([]byte, []byte, error) {
	level := protocol.TreeLevel(j.n, j.node)
	if int(level) >= len(g.vks) {
		return nil, nil, fmt.Errorf("node %d is at level %d; the chain names keys up to level %d", j.node, level, len(g.vks)-1)
	}
	req := treepair.NodeRequest{Keys: g.dir, Level: level, VK: g.vks[level], Prover: hex.EncodeToString(j.prover[:]),
		Tree: hex.EncodeToString(j.tree), Node: j.node}
	if level == 0 {
		req.A = hex.EncodeToString(wire.TreeInputHash(j.a.Data, j.a.Sha256))
		req.B = hex.EncodeToString(wire.TreeInputHash(j.b.Data, j.b.Sha256))
	} else {
		if len(j.left) != 1 || len(j.right) != 1 {
			return nil, nil, fmt.Errorf("a gnark merge aggregates one proof of each child, not %d and %d", len(j.left), len(j.right))
		}
		req.ChildVK = g.vks[level-1]
		req.Left = &treepair.NodeChild{Proof: j.left[0].proof, Outputs: j.left[0].outputs}
		req.Right = &treepair.NodeChild{Proof: j.right[0].proof, Outputs: j.right[0].outputs}
	}
	res, err := runTreeNode(ctx, g.exe, req)
	if err != nil {
		return nil, nil, err
	}
	return res.Proof, res.Outputs, nil
}

// runTreeNode runs the tree-node command on req.
func runTreeNode(ctx context.Context, exe string, req treepair.NodeRequest) (*treepair.NodeResult, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, gnarkWall)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, treepair.NodeCommand)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	runErr := cmd.Run()
	var res treepair.NodeResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, errors.Join(fmt.Errorf("%s %s: %w (stderr: %s)", exe, treepair.NodeCommand, runErr, strings.TrimSpace(stderr.String())), err)
	}
	if res.Error != "" {
		return nil, fmt.Errorf("%s %s: %s", exe, treepair.NodeCommand, res.Error)
	}
	if runErr != nil {
		return nil, fmt.Errorf("%s %s: %w", exe, treepair.NodeCommand, runErr)
	}
	return &res, nil
}
