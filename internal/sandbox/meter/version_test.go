package meter

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// versionGolden is the SHA-256 of Instrument's output over the modules of
// goldenModules, for Version.
const versionGolden = "a263c99e23b403bf1a1dc40b9a2cb011d3a54037db90667560f5218e0689e49a"

// goldenModules are fixed modules covering what the rewrite touches:
// blocks, loops, branches, calls, imports, tables, memory growth and bulk
// operations (the hand-counted cases) and NaN-producing float code.
func goldenModules() [][]byte {
	var mods [][]byte
	for _, c := range cases() {
		mods = append(mods, c.mod.bytes())
	}
	ops := floatOps()
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0x676f6c64))
		mods = append(mods, genFloatProgram(rng, ops).mod.bytes())
	}
	return mods
}

// TestVersionGolden fails when the instrumentation changes without a new
// Version: cached instrumented modules would otherwise be reused.
func TestVersionGolden(t *testing.T) {
	h := sha256.New()
	for i, m := range goldenModules() {
		out, err := Instrument(m, Options{})
		if err != nil {
			t.Fatalf("module %d: %v", i, err)
		}
		h.Write(out)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != versionGolden {
		t.Fatalf("Instrument's output changed (golden %s, now %s): bump meter.Version and set versionGolden to the new value", versionGolden, got)
	}
}
