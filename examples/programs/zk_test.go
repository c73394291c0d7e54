package programs_test

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	g16container "github.com/provernet/provernet/examples/programs/groth16-mimc/container"
	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/internal/progio"
	plkmimc "github.com/provernet/provernet/examples/programs/plonk-mimc"
	plkchain "github.com/provernet/provernet/examples/programs/plonk-mimc/chain"
	"github.com/provernet/provernet/internal/sandbox"
)

// The tests of the host-backed programs (provernet_zk_v1): they run in the
// same metered sandbox as the others, with the zk host module.

// g16N keeps the circuits small (about 660 constraints): the tests check
// behaviour, not speed.
const g16N = 2

// g16Fixture is a seeded groth16-mimc setup for g16N and its input files
// (cs.bin, pk.bin, vk.bin, input.json, in the programs' order).
type g16Fixture struct {
	inputs []string
	vk     groth16.VerifyingKey
	vkb    []byte
	x, y   fr.Element
}

var g16Once = sync.OnceValues(func() (*g16Fixture, error) {
	ccs, pk, vk, err := g16mimc.Setup(g16N, g16mimc.DevSeed)
	if err != nil {
		return nil, err
	}
	var cs, pkb, vkb bytes.Buffer
	if err := g16mimc.WriteSystem(ccs, &cs); err != nil {
		return nil, err
	}
	if err := g16mimc.WriteKeys(pk, vk, &pkb, &vkb); err != nil {
		return nil, err
	}
	f := &g16Fixture{vk: vk, vkb: vkb.Bytes()}
	f.x.SetUint64(123456789)
	f.y = g16mimc.Chain(f.x, g16N)
	dir := filepath.Join(buildDir, "groth16-mimc-inputs")
	f.inputs, err = stage(dir, map[string][]byte{
		"cs.bin": cs.Bytes(), "pk.bin": pkb.Bytes(), "vk.bin": vkb.Bytes(),
		"input.json": fmt.Appendf(nil, `{"n": %d, "x": "%s", "y": "%s"}`, g16N, f.x.String(), f.y.String()),
	}, "cs.bin", "pk.bin", "vk.bin", "input.json")
	return f, err
})

func g16(t *testing.T) *g16Fixture {
	t.Helper()
	f, err := g16Once()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// stage writes files into dir and returns the paths of names, in order.
func stage(dir string, files map[string][]byte, names ...string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		out = append(out, filepath.Join(dir, n))
	}
	return out, nil
}

// with returns inputs with the file named like name replaced by one
// holding data (in a fresh directory, under the same name).
func with(t *testing.T, inputs []string, name string, data []byte) []string {
	t.Helper()
	out := append([]string(nil), inputs...)
	for i, in := range out {
		if filepath.Base(in) == name {
			out[i] = writeFile(t, t.TempDir(), name, data)
			return out
		}
	}
	t.Fatalf("no input %s", name)
	return nil
}

func mustProve(t *testing.T, p program, inputs []string) result {
	t.Helper()
	res := prove(t, p, inputs)
	if res.ExitCode != 0 || res.Outcome != sandbox.OutcomeProof {
		t.Fatalf("prover: %s, exit %d: %s", res.Outcome, res.ExitCode, res.Stderr)
	}
	t.Logf("prove: %v, %d cycles (host %d), %d-byte proof", res.Duration, res.Cycles, res.HostCycles, len(res.Proof))
	return res
}

// verifyNativeG16 checks a groth16-mimc proof file with gnark's native
// verifier and returns its y.
func verifyNativeG16(t *testing.T, vk groth16.VerifyingKey, file []byte) fr.Element {
	t.Helper()
	proof, public, err := g16mimc.DecodeProof(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, public); err != nil {
		t.Fatalf("native groth16.Verify: %v", err)
	}
	y, err := g16mimc.PublicY(public)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// TestGroth16MiMCDifferential proves the same statement through the host
// and in pure wasm; each proof verifies with both verifiers and with
// gnark's native verifier.
func TestGroth16MiMCDifferential(t *testing.T) {
	g := g16(t)
	hostProver, hostVerifier := programs(t, "groth16-mimc")
	wasmProver, wasmVerifier := module(t, "groth16-mimc/prover-wasm"), module(t, "groth16-mimc/verifier-wasm")

	host := mustProve(t, hostProver, g.inputs)
	if host.HostCycles == 0 || host.HostCycles >= host.Cycles {
		t.Fatalf("host prover: %d host cycles of %d", host.HostCycles, host.Cycles)
	}
	ref := mustProve(t, wasmProver, g.inputs)
	if ref.HostCycles != 0 {
		t.Fatalf("pure-wasm prover charged %d host cycles", ref.HostCycles)
	}
	if len(host.Proof) != len(ref.Proof) {
		t.Fatalf("host proof %d bytes, reference %d", len(host.Proof), len(ref.Proof))
	}
	for _, c := range []struct {
		name  string
		proof []byte
	}{{"host", host.Proof}, {"pure-wasm", ref.Proof}} {
		if y := verifyNativeG16(t, g.vk, c.proof); !y.Equal(&g.y) {
			t.Fatalf("%s proof: y = %s, want %s", c.name, y.String(), g.y.String())
		}
		res := verifyRun(t, hostVerifier, g.inputs, c.proof)
		if res.Outcome != sandbox.OutcomeValid || res.HostCycles == 0 {
			t.Fatalf("%s proof, host verifier: %s (host cycles %d): %s", c.name, res.Outcome, res.HostCycles, res.Stderr)
		}
		if code := verify(t, wasmVerifier, g.inputs, c.proof); code != progio.ExitValid {
			t.Fatalf("%s proof, pure-wasm verifier: exit %d", c.name, code)
		}
	}
	t.Logf("prove: host %d cycles, pure wasm %d cycles (%.1fx)", host.Cycles, ref.Cycles, float64(ref.Cycles)/float64(host.Cycles))
}

// TestGroth16MiMCHostRejects: the host verifier rejects proofs for the
// wrong y, tampered and truncated proofs (1), and tells malformed inputs
// (2) from bad proofs.
func TestGroth16MiMCHostRejects(t *testing.T) {
	g := g16(t)
	prover, verifier := programs(t, "groth16-mimc")
	good := mustProve(t, prover, g.inputs).Proof

	// input.json names another y: rejected before the host is asked.
	other := g16mimc.Chain(g.y, 1)
	otherIn := with(t, g.inputs, "input.json", fmt.Appendf(nil, `{"n": %d, "y": "%s"}`, g16N, other.String()))
	if code := verify(t, verifier, otherIn, good); code != progio.ExitInvalid {
		t.Fatalf("proof for another y: exit %d, want 1", code)
	}
	// The container claims that other y and input.json agrees: the host's
	// pairing check is what rejects it.
	forged := forgeY(t, good, other)
	res := verifyRun(t, verifier, otherIn, forged)
	if res.Outcome != sandbox.OutcomeInvalid || res.HostCycles == 0 {
		t.Fatalf("proof relabelled with another y: %s, host cycles %d", res.Outcome, res.HostCycles)
	}
	// Tampered and truncated proofs.
	for _, i := range []int{0, len(g16container.Magic) + 4 + 10, len(g16container.Magic) + 4 + 40,
		len(g16container.Magic) + 4 + 100, len(good) - 1} {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if code := verify(t, verifier, g.inputs, bad); code != progio.ExitInvalid {
			t.Fatalf("proof byte %d flipped: exit %d, want 1", i, code)
		}
	}
	for _, n := range []int{0, 8, len(good) / 2, len(good) - 1} {
		if code := verify(t, verifier, g.inputs, good[:n]); code != progio.ExitInvalid {
			t.Fatalf("proof truncated to %d: exit %d, want 1", n, code)
		}
	}
	// Malformed inputs, not the proof's fault: 2.
	if code := verify(t, verifier, with(t, g.inputs, "vk.bin", g.vkb[:len(g.vkb)/2]), good); code != progio.ExitMalformed {
		t.Fatalf("truncated vk.bin: exit %d, want 2", code)
	}
	if code := verify(t, verifier, with(t, g.inputs, "input.json", []byte(`{"n": "2"}`)), good); code != progio.ExitMalformed {
		t.Fatalf("malformed input.json: exit %d, want 2", code)
	}
	if code := verify(t, verifier, g.inputs[1:], good); code != progio.ExitMalformed {
		t.Fatalf("3 inputs: exit %d, want 2", code)
	}
	// The prover: a wrong preimage fails (1) without a proof; an n that is
	// not cs.bin's is malformed input (2).
	badX := with(t, g.inputs, "input.json", fmt.Appendf(nil, `{"n": %d, "x": "1", "y": "%s"}`, g16N, g.y.String()))
	if res := prove(t, prover, badX); res.ExitCode != progio.ExitInvalid || res.Proof != nil {
		t.Fatalf("wrong preimage: exit %d, %d-byte proof; want 1, none", res.ExitCode, len(res.Proof))
	}
	badN := with(t, g.inputs, "input.json", fmt.Appendf(nil, `{"n": %d, "x": "5"}`, g16N+1))
	if res := prove(t, prover, badN); res.ExitCode != progio.ExitMalformed {
		t.Fatalf("n not cs.bin's: exit %d, want 2: %s", res.ExitCode, res.Stderr)
	}
	// Keys of another setup: the prover's self-check fails (1).
	_, _, vk2, err := g16mimc.Setup(g16N, g16mimc.DevSeed+" other")
	if err != nil {
		t.Fatal(err)
	}
	var vkb2 bytes.Buffer
	if _, err := vk2.WriteTo(&vkb2); err != nil {
		t.Fatal(err)
	}
	if res := prove(t, prover, with(t, g.inputs, "vk.bin", vkb2.Bytes())); res.ExitCode != progio.ExitInvalid {
		t.Fatalf("vk of another setup: prover exit %d, want 1: %s", res.ExitCode, res.Stderr)
	}
	if code := verify(t, verifier, with(t, g.inputs, "vk.bin", vkb2.Bytes()), good); code != progio.ExitInvalid {
		t.Fatalf("vk of another setup: verifier exit %d, want 1", code)
	}
}

// forgeY replaces the public y of a groth16-mimc proof file.
func forgeY(t *testing.T, file []byte, y fr.Element) []byte {
	t.Helper()
	c, err := g16container.Spec.DecodeProof(file)
	if err != nil {
		t.Fatal(err)
	}
	return g16container.Spec.EncodeProof(c.Proof, g16container.Spec.PublicWitness(y.Bytes()))
}

// TestHostCyclesDeterministic: the same run charges the same cycles twice,
// host calls included, for the prover and the verifier.
func TestHostCyclesDeterministic(t *testing.T) {
	g := g16(t)
	prover, verifier := programs(t, "groth16-mimc")
	seed := bytes.Repeat([]byte{7}, 32)
	a := runSeeded(t, prover, sandbox.Prove, g.inputs, nil, seed)
	b := runSeeded(t, prover, sandbox.Prove, g.inputs, nil, seed)
	if a.Outcome != sandbox.OutcomeProof || b.Outcome != sandbox.OutcomeProof {
		t.Fatalf("prover: %s, %s", a.Outcome, b.Outcome)
	}
	if a.Cycles != b.Cycles || a.HostCycles != b.HostCycles || a.HostCycles == 0 {
		t.Fatalf("prover: %d cycles (host %d), then %d (host %d)", a.Cycles, a.HostCycles, b.Cycles, b.HostCycles)
	}
	// Another seed gives another proof but the same host charge (the
	// module's own count may move: the Go runtime's hash seeds come from
	// the seed).
	c := runSeeded(t, prover, sandbox.Prove, g.inputs, nil, bytes.Repeat([]byte{8}, 32))
	if c.HostCycles != a.HostCycles || bytes.Equal(c.Proof, a.Proof) {
		t.Fatalf("prover with another seed: host %d cycles, want %d; same proof: %v", c.HostCycles, a.HostCycles, bytes.Equal(c.Proof, a.Proof))
	}
	v1 := verifyRun(t, verifier, g.inputs, a.Proof)
	v2 := verifyRun(t, verifier, g.inputs, c.Proof)
	if v1.Outcome != sandbox.OutcomeValid || v1.Cycles != v2.Cycles || v1.HostCycles != v2.HostCycles || v1.HostCycles == 0 {
		t.Fatalf("verifier: %s %d cycles (host %d), then %s %d (host %d)", v1.Outcome, v1.Cycles, v1.HostCycles, v2.Outcome, v2.Cycles, v2.HostCycles)
	}
	t.Logf("prover %d cycles (host %d), verifier %d cycles (host %d)", a.Cycles, a.HostCycles, v1.Cycles, v1.HostCycles)
}

// TestHostMalformedKeys: a truncated or corrupted cs.bin or pk.bin ends
// the prover cleanly (exit 1 or 2, no proof), never with a trap, a crash
// of the worker or an exhausted budget.
func TestHostMalformedKeys(t *testing.T) {
	g := g16(t)
	prover, verifier := programs(t, "groth16-mimc")
	for _, name := range []string{"cs.bin", "pk.bin", "vk.bin"} {
		data := readFile(t, inputNamed(t, g.inputs, name))
		cases := map[string][]byte{
			"empty":       {},
			"truncated":   data[:len(data)/2],
			"one short":   data[:len(data)-1],
			"extended":    append(bytes.Clone(data), 0),
			"flipped@10":  flip(data, 10),
			"flipped@mid": flip(data, len(data)/2),
			"flipped@end": flip(data, len(data)-3),
		}
		for what, bad := range cases {
			inputs := with(t, g.inputs, name, bad)
			res := prove(t, prover, inputs)
			// run already failed the test on a trap or an exhausted budget.
			ok := res.Outcome == sandbox.OutcomeError && res.Proof == nil &&
				(res.ExitCode == progio.ExitInvalid || res.ExitCode == progio.ExitMalformed)
			if res.Outcome == sandbox.OutcomeProof && name != "vk.bin" {
				// A flip the prover does not depend on (e.g. in the
				// system's debug information) may leave it proving: then
				// the proof must be a valid one, the self-check passed.
				verifyNativeG16(t, g.vk, res.Proof)
				t.Logf("%s %s: immaterial, the proof is valid", name, what)
				continue
			}
			if !ok {
				t.Errorf("%s %s: prover %s, exit %d, proof %d bytes\n%s", name, what, res.Outcome, res.ExitCode, len(res.Proof), res.Stderr)
				continue
			}
			t.Logf("%s %s: prover exit %d: %s", name, what, res.ExitCode, firstLine(res.Stderr))
		}
	}
	// A corrupted vk.bin for the verifier: malformed (2) or, if it still
	// decodes, a proof that does not verify (1); never valid.
	good := mustProve(t, prover, g.inputs).Proof
	data := readFile(t, inputNamed(t, g.inputs, "vk.bin"))
	for _, bad := range [][]byte{{}, data[:len(data)-1], flip(data, 5), flip(data, len(data)/2)} {
		code := verify(t, verifier, with(t, g.inputs, "vk.bin", bad), good)
		if code != progio.ExitMalformed && code != progio.ExitInvalid {
			t.Errorf("corrupted vk.bin (%d bytes): verifier exit %d", len(bad), code)
		}
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x04
	return out
}

func inputNamed(t *testing.T, inputs []string, name string) string {
	t.Helper()
	for _, in := range inputs {
		if filepath.Base(in) == name {
			return in
		}
	}
	t.Fatalf("no input %s", name)
	return ""
}

// ---- plonk-mimc ----

const plonkN = 2

type plonkFixture struct {
	inputs []string
	vkb    []byte
	y      string
}

var plonkOnce = sync.OnceValues(func() (*plonkFixture, error) {
	ccs, pk, vk, err := plkmimc.Setup(plonkN, plkmimc.DevSeed)
	if err != nil {
		return nil, err
	}
	var cs, pkb, vkb bytes.Buffer
	if err := plkmimc.WriteFiles(ccs, pk, vk, &cs, &pkb, &vkb); err != nil {
		return nil, err
	}
	y := plkchain.Big(bigInt64(987654321), plonkN).String()
	f := &plonkFixture{vkb: vkb.Bytes(), y: y}
	f.inputs, err = stage(filepath.Join(buildDir, "plonk-mimc-inputs"), map[string][]byte{
		"cs.bin": cs.Bytes(), "pk.bin": pkb.Bytes(), "vk.bin": vkb.Bytes(),
		"input.json": fmt.Appendf(nil, `{"n": %d, "x": "987654321", "y": "%s"}`, plonkN, y),
	}, "cs.bin", "pk.bin", "vk.bin", "input.json")
	return f, err
})

// TestPlonkMiMCHost proves plonk-mimc through the host; the proof verifies
// with the host verifier and with gnark's native PLONK verifier, and the
// verifier rejects it for another y or tampered.
func TestPlonkMiMCHost(t *testing.T) {
	f, err := plonkOnce()
	if err != nil {
		t.Fatal(err)
	}
	prover, verifier := programs(t, "plonk-mimc")
	seed := bytes.Repeat([]byte{9}, 32)
	res := runSeeded(t, prover, sandbox.Prove, f.inputs, nil, seed)
	if res.Outcome != sandbox.OutcomeProof || res.HostCycles == 0 {
		t.Fatalf("prover: %s, %d host cycles: %s", res.Outcome, res.HostCycles, res.Stderr)
	}
	t.Logf("prove: %v, %d cycles (host %d), %d-byte proof", res.Duration, res.Cycles, res.HostCycles, len(res.Proof))
	if err := plkmimc.VerifyNative(f.vkb, res.Proof); err != nil {
		t.Fatalf("native plonk.Verify: %v", err)
	}
	v := verifyRun(t, verifier, f.inputs, res.Proof)
	if v.Outcome != sandbox.OutcomeValid || v.HostCycles == 0 {
		t.Fatalf("host verifier: %s (host cycles %d): %s", v.Outcome, v.HostCycles, v.Stderr)
	}
	// The same run charges the same cycles.
	if again := runSeeded(t, prover, sandbox.Prove, f.inputs, nil, seed); again.Cycles != res.Cycles || again.HostCycles != res.HostCycles {
		t.Fatalf("prover charged %d (host %d), then %d (host %d)", res.Cycles, res.HostCycles, again.Cycles, again.HostCycles)
	}
	// Another y in input.json; a relabelled proof; tampered bytes.
	otherIn := with(t, f.inputs, "input.json", fmt.Appendf(nil, `{"n": %d, "y": "5"}`, plonkN))
	if code := verify(t, verifier, otherIn, res.Proof); code != progio.ExitInvalid {
		t.Fatalf("another y: exit %d, want 1", code)
	}
	c, err := plkchain.Spec.DecodeProof(res.Proof)
	if err != nil {
		t.Fatal(err)
	}
	relabelled := plkchain.Spec.EncodeProof(c.Proof, plkchain.Spec.PublicWitness(mimcchain.MustElement("5")))
	if r := verifyRun(t, verifier, otherIn, relabelled); r.Outcome != sandbox.OutcomeInvalid || r.HostCycles == 0 {
		t.Fatalf("relabelled proof: %s (host cycles %d)", r.Outcome, r.HostCycles)
	}
	for _, i := range []int{12, 12 + 100, 12 + 400, len(res.Proof) - 50, len(res.Proof) - 1} {
		if code := verify(t, verifier, f.inputs, flip(res.Proof, i)); code != progio.ExitInvalid {
			t.Fatalf("byte %d flipped: exit %d, want 1", i, code)
		}
	}
	// A Groth16 system is not a PLONK one: malformed input.
	g := g16(t)
	if r := prove(t, prover, with(t, f.inputs, "cs.bin", readFile(t, inputNamed(t, g.inputs, "cs.bin")))); r.ExitCode != progio.ExitMalformed {
		t.Fatalf("groth16 cs.bin: prover exit %d, want 2: %s", r.ExitCode, r.Stderr)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bigInt64(v int64) *big.Int { return big.NewInt(v) }
