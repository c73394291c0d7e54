// Package sandbox runs provers' and verifiers' WebAssembly programs.
//
// A program is a WASI preview 1 module. Before compilation it is
// instrumented by package meter, so that every instruction it executes is
// charged against a cycle budget held in a global; a run that exhausts the
// budget traps, and its outcome is Fail. The count is a property of the
// module and its input, not of the machine or the engine, which is what lets
// the chain decide outcomes by cycles.
//
// What a program sees (the contract examples/programs follow):
//   - its input files, read-only, under /in (nothing else of the host);
//   - one writable file, /out/proof, capped at Limits.MaxOutput bytes;
//   - arguments: the program name, "prove" or "verify", then the input
//     paths (a verifier's last argument is /in/proof);
//   - a fixed environment (GOGC=100), so that garbage-collector behaviour
//     and with it the instruction count do not depend on the host;
//   - a fake clock; for verifiers a deterministic entropy source, for
//     provers a secret per-job seed (zero-knowledge blinding needs real
//     randomness; a deterministic source would make it predictable);
//   - a memory cap (Limits.MemoryPages) and no network.
//
// A verifier's count is a function of the module and its input alone. A
// prover's also depends on its random draws (blinding values make big-number
// arithmetic take slightly different paths; about 0.02% for Groth16), so a
// Run's budget should leave that much headroom.
//
// Reads, writes and memory growth are charged in proportion to their size
// (docs/METERING.md). Wall-clock limits are a backstop only: they kill a
// run but never decide a consensus outcome.
package sandbox
