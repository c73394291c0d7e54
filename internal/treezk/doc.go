// Package treezk is the gnark side of the proof-tree pair
// (docs/TREES.md, "The gnark pair"): the node circuits, their keys and
// their prover. It links gnark, so only provernet-sandbox and tests import
// it; the chain checks node proofs with internal/treepair, which needs
// gnark-crypto alone.
//
//   - circuit_base.go: a base node commits to its two inputs' hashes, its
//     prover, the tree and the node (treepair.BaseOut);
//   - circuit_merge.go: a merge node of level L verifies its two
//     children's Groth16 proofs in-circuit (std/recursion/groth16 over
//     emulated BN254) under the verifying key of level L-1, a circuit
//     constant, checks they are the left and right child of the same
//     tree, and commits to their provers and Outs (treepair.MergeOut);
//   - keys.go: one Groth16 setup per level, written to a directory;
//   - prove.go: a node's proof from its keys and inputs;
//   - command.go: the tree-node and tree-keys commands of
//     provernet-sandbox.
//
// Every node circuit has the public inputs treepair.Public lists, so the
// chain recomputes them and verifies a node's own proof only.
package treezk
