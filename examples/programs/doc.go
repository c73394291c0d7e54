// Package programs holds the example proving programs of provernet
// (sha256-chain, groth16-mimc, plonk-mimc, bench, and the tree programs
// sha256-tree/base and sha256-tree/merge) and their end-to-end
// tests: the tests of this package build the programs for GOOS=wasip1
// GOARCH=wasm and run them in the network's metered sandbox
// (internal/sandbox) with the proof-system host module (internal/zkhost).
// The contract the programs follow is in README.md.
package programs
