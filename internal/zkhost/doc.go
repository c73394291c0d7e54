// Package zkhost is the host side of provernet_zk_v1: native proving and
// verifying for programs in the sandbox (docs/HOST_ABI.md). A program
// stays untrusted WebAssembly, metered instruction by instruction; when it
// calls prove or verify, gnark runs natively on the host with the cores
// the job may use, the way zkVMs run precompiles.
//
// Layers, one file each:
//   - module.go: the wasm functions; decodes a request (sdk/zkabi), reads
//     its arguments from guest memory or the job's input files, charges,
//     and hands validated bytes to a Backend;
//   - charge.go, charge_table.go: what a call costs in cycles, computed
//     only from sizes;
//   - cache.go: parsed systems and keys by hash;
//   - backend.go: the Backend interface; gnark.go, groth16.go, plonk.go
//     and the validate_*.go files: gnark's Groth16 and PLONK over BN254,
//     BLS12-381, BLS12-377 and BW6-761.
//
// Invariants:
//   - a call's charge depends only on its arguments' sizes and the shape
//     of the validated system and keys, never on time, the cache or the
//     machine; each part is charged before the work it pays for, so a
//     budget that cannot pay ends the run as out of cycles with that work
//     not done;
//   - nothing is decoded before its sizes are checked against the bytes
//     present and the call's memory bound; a malformed input is a negative
//     status for the program, never a panic of the worker;
//   - backend work runs under recover on the calling goroutine; gnark's
//     own goroutines only ever see inputs the validators accepted.
package zkhost
