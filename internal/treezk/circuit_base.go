package treezk

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/mimc"

	"github.com/provernet/provernet/internal/treepair"
)

// BaseCircuit is a base node: Out = MiMC(TagBase, Prover, TreeHi,
// TreeLo, Node, A[0], A[1], B[0], B[1]), A and B its inputs' hashes in
// 128-bit halves (treepair.BaseOut). The public inputs are treepair's
// statement, in its order.
type BaseCircuit struct {
	Prover frontend.Variable `gnark:",public"`
	TreeHi frontend.Variable `gnark:",public"`
	TreeLo frontend.Variable `gnark:",public"`
	Node   frontend.Variable `gnark:",public"`
	Out    frontend.Variable `gnark:",public"`

	A, B [2]frontend.Variable
}

// Define implements frontend.Circuit.
func (c *BaseCircuit) Define(api frontend.API) error {
	h, err := mimc.NewMiMC(api)
	if err != nil {
		return fmt.Errorf("mimc: %w", err)
	}
	h.Write(treepair.TagBase, c.Prover, c.TreeHi, c.TreeLo, c.Node, c.A[0], c.A[1], c.B[0], c.B[1])
	api.AssertIsEqual(h.Sum(), c.Out)
	return nil
}
