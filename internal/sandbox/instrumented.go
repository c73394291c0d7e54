package sandbox

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"

	"github.com/provernet/provernet/internal/sandbox/meter"
)

// instrument returns the metered form of a program, from the on-disk
// cache beside wazero's when there is one. Each worker process compiles
// its program afresh; instrumenting a 3 MB module takes about 28 ms, a
// third of a warm start. Only the default cost model is cached, under the
// meter's Version, so a binary with other instrumentation never reads
// this one's output (meter.TestVersionGolden keeps Version honest).
func (r *Runner) instrument(hash [32]byte, wasm []byte) ([]byte, error) {
	path := r.instrumentedPath(hash)
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			return b, nil
		}
	}
	out, err := meter.Instrument(wasm, r.cfg.Meter)
	if err != nil || path == "" {
		return out, err
	}
	writeAtomic(path, out) // best effort: a cache
	return out, nil
}

// instrumentedPath is where the metered form of a program is cached, or
// "" when it is not.
func (r *Runner) instrumentedPath(hash [32]byte) string {
	if r.cfg.CacheDir == "" || r.cfg.Meter != (meter.Options{}) {
		return ""
	}
	dir := filepath.Join(r.cfg.CacheDir, "metered-v"+strconv.Itoa(meter.Version))
	return filepath.Join(dir, hex.EncodeToString(hash[:])+".wasm")
}

// writeAtomic writes b to path through a temporary file and a rename, so
// a concurrent reader sees the whole file or none.
func writeAtomic(path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}
