// Package treepair is the native side of the gnark proof-tree pair
// (docs/TREES.md, "The gnark pair"): what a node proof states and how the
// chain checks it, with gnark-crypto's BN254 arithmetic only, so that the
// node binary can verify node proofs without linking gnark itself.
//
//   - statement.go: a node's public inputs (the prover's address, the tree
//     id, the node, and its commitment Out) and Out for a base node (over
//     its two inputs' hashes) and a merge node (over its children's
//     provers and Outs), MiMC over BN254's scalar field, exactly as the
//     circuits of internal/treezk compute them;
//   - vk.go, proof.go: gnark's Groth16 verifying key and proof encodings
//     (WriteTo, compressed points), parsed by hand with every point
//     checked on the curve and in its subgroup;
//   - verify.go, commit_hash.go: gnark v0.16's Groth16 verifier over BN254,
//     with its one BSB22 commitment, and the MiMC hash-to-field that
//     gnark's in-circuit verifier needs (std/recursion.NewShort).
//
// Invariants: nothing here starts a goroutine, reads the clock or
// allocates in proportion to anything but its input's size; malformed
// input is an error, never a panic. TestVerifyMatchesGnark holds Verify to
// gnark's own verifier on valid and tampered proofs.
package treepair
