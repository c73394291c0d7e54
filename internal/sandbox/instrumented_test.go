package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/provernet/provernet/internal/sandbox/meter"
)

// TestInstrumentedCache: a runner with a cache directory keeps the metered
// module there; a fresh runner (a new worker) reuses it and counts the
// same cycles; another cost model neither reads nor writes it.
func TestInstrumentedCache(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	newRunner := func(cfg Config) *Runner {
		r, err := NewRunner(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(ctx) })
		return r
	}
	first := run(t, newRunner(Config{CacheDir: dir}), Prove, "hash 100", lots, nil)
	cached, _ := filepath.Glob(filepath.Join(dir, "metered-v*", "*.wasm"))
	if len(cached) != 1 {
		t.Fatalf("cache holds %v, want one metered module", cached)
	}
	st, err := os.Stat(cached[0])
	if err != nil {
		t.Fatal(err)
	}
	second := run(t, newRunner(Config{CacheDir: dir}), Prove, "hash 100", lots, nil)
	if first.Outcome != OutcomeProof || second.Cycles != first.Cycles {
		t.Fatalf("from the cache: %v; instrumented afresh: %v", second, first)
	}
	if again, _ := os.Stat(cached[0]); !again.ModTime().Equal(st.ModTime()) {
		t.Fatal("the cached module was rewritten instead of read")
	}
	r := newRunner(Config{CacheDir: dir, Meter: testMeterOptions()})
	_ = run(t, r, Prove, "hash 100", lots, nil)
	if n, _ := filepath.Glob(filepath.Join(dir, "metered-v*", "*.wasm")); len(n) != 1 {
		t.Fatalf("another cost model used the cache: %v", n)
	}
}

// testMeterOptions is a cost model other than the default.
func testMeterOptions() meter.Options { return meter.Options{CallImport: 7} }
