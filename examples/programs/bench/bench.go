// Package bench is the logic of the bench example program, the workload of
// hardware challenges: CPU and memory work sized by its input, with a
// verifier that checks a sample of it.
//
// Input (one JSON file):
//
//	{"seed": "<hex>", "memory_mib": M, "segments": S, "passes": P, "samples": K}
//
// The work is S independent segments. Segment i:
//
//  1. key_i = SHA-256("provernet-bench-v1" | seed | uint32be(i) | M | P)
//  2. fills a buffer of M MiB (as 64-bit words) from a SplitMix64 stream
//     seeded with key_i;
//  3. makes P passes of a data-dependent random walk: each pass does one
//     step per 64-byte line of the buffer; a step picks the line from the
//     running 64-bit state, mixes its 8 words into the state and writes them
//     back modified (so it is sequential and latency-bound);
//  4. folds the whole buffer into four 64-bit lanes (multiply-xorshift per
//     word) and sets digest_i = SHA-256(key_i | final state | lanes).
//
// The prover reuses one buffer (peak memory about M MiB plus the runtime).
// The proof is "PNBENCH1" | uint32be(S) | digest_0 .. digest_{S-1}.
//
// The verifier checks the format, then recomputes K of the S segments and
// compares their digests. With K >= S it recomputes everything. The sample
// is drawn (see Samples) from the input, all the digests and, when the
// verifier is given one, a beacon: a second input file named "beacon" that
// the prover could not know when it committed to the digests (for a chain
// challenge, the verifying daemon passes the beacon seed of the block after
// the one that included the result). A prover that skipped a fraction f of
// the segments then passes with probability about (1-f)^K. Without a
// beacon the sample is Fiat-Shamir over the digests alone, and a prover can
// re-draw it for the cost of a hash by changing a skipped segment's digest
// (about (1-f)^-K tries): fine for a demonstration Run, not for a test of
// hardware.
package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/provernet/provernet/examples/programs/internal/progio"
)

// Limits of the input.
const (
	MaxMemoryMiB = 1024
	MaxSegments  = 4096
	MaxPasses    = 64
	MaxSeedBytes = 1024
	MaxInputSize = 64 << 10
)

// Magic starts a proof.
const Magic = "PNBENCH1"

// Input is the content of the input file.
type Input struct {
	Seed      string `json:"seed"`       // hex, 1..MaxSeedBytes bytes
	MemoryMiB int    `json:"memory_mib"` // buffer size M, 1..MaxMemoryMiB
	Segments  int    `json:"segments"`   // S, 1..MaxSegments
	Passes    int    `json:"passes"`     // P, 1..MaxPasses
	Samples   int    `json:"samples"`    // K, segments the verifier recomputes, 1..S
}

// Params is a checked Input.
type Params struct {
	Seed                                 []byte
	MemoryMiB, Segments, Passes, Samples int
	raw                                  []byte // the input file, bound into the sample choice
}

// ParseInput decodes and checks an input file; errors are malformed input.
func ParseInput(data []byte) (Params, error) {
	var in Input
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Params{}, progio.Malformedf("input: %v", err)
	}
	if dec.More() {
		return Params{}, progio.Malformedf("input: trailing data")
	}
	seed, err := hex.DecodeString(in.Seed)
	if err != nil || len(seed) == 0 || len(seed) > MaxSeedBytes {
		return Params{}, progio.Malformedf("input: seed must be 1..%d bytes of hex", MaxSeedBytes)
	}
	check := func(name string, v, max int) error {
		if v < 1 || v > max {
			return progio.Malformedf("input: %s=%d out of range [1, %d]", name, v, max)
		}
		return nil
	}
	for _, c := range []error{
		check("memory_mib", in.MemoryMiB, MaxMemoryMiB),
		check("segments", in.Segments, MaxSegments),
		check("passes", in.Passes, MaxPasses),
		check("samples", in.Samples, in.Segments),
	} {
		if c != nil {
			return Params{}, c
		}
	}
	return Params{Seed: seed, MemoryMiB: in.MemoryMiB, Segments: in.Segments, Passes: in.Passes, Samples: in.Samples, raw: data}, nil
}

// Worker computes segments, reusing its buffer.
type Worker struct {
	p     Params
	words []uint64
}

// NewWorker allocates the M MiB buffer.
func NewWorker(p Params) *Worker {
	return &Worker{p: p, words: make([]uint64, p.MemoryMiB<<17)}
}

const (
	wordsPerLine = 8 // 64-byte lines
	mulA         = 0x9e3779b97f4a7c15
	mulB         = 0xbf58476d1ce4e5b9
)

func (w *Worker) key(i int) [32]byte {
	h := sha256.New()
	h.Write([]byte("provernet-bench-v1"))
	h.Write(w.p.Seed)
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:], uint32(i))
	binary.BigEndian.PutUint32(b[4:], uint32(w.p.MemoryMiB))
	binary.BigEndian.PutUint32(b[8:], uint32(w.p.Passes))
	h.Write(b[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Segment computes digest_i.
func (w *Worker) Segment(i int) [32]byte {
	key := w.key(i)
	words := w.words

	// Fill: SplitMix64.
	x := binary.LittleEndian.Uint64(key[0:]) ^ binary.LittleEndian.Uint64(key[8:])
	for j := range words {
		x += mulA
		z := x
		z = (z ^ z>>30) * mulB
		z = (z ^ z>>27) * 0x94d049bb133111eb
		words[j] = z ^ z>>31
	}

	// Random walk: one step per line per pass.
	nLines := uint64(len(words) / wordsPerLine)
	state := binary.LittleEndian.Uint64(key[16:]) ^ binary.LittleEndian.Uint64(key[24:])
	for step := uint64(0); step < uint64(w.p.Passes)*nLines; step++ {
		// Line index: the high 32 bits of the state scaled to [0, nLines)
		// (a multiply instead of a division; nLines < 2^32).
		at := ((state >> 32) * nLines >> 32) * wordsPerLine
		line := words[at : at+wordsPerLine : at+wordsPerLine]
		for k := range line {
			state = (state ^ line[k]) * mulB
			state ^= state >> 31
			line[k] += state ^ step
		}
	}

	// Fold the whole buffer into 4 lanes (a multiply-xorshift per word;
	// SHA-256 over M MiB is ~10x slower than the walk under wasm), then
	// digest_i = SHA-256(key_i | state | lanes).
	var lanes [4]uint64
	for j := 0; j+4 <= len(words); j += 4 {
		for l := range lanes {
			v := (lanes[l] ^ words[j+l]) * mulA
			lanes[l] = v ^ v>>29
		}
	}
	var tail [8 * 5]byte
	binary.LittleEndian.PutUint64(tail[0:], state)
	for l, v := range lanes {
		binary.LittleEndian.PutUint64(tail[8+8*l:], v)
	}
	h := sha256.New()
	h.Write(key[:])
	h.Write(tail[:])
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Compute returns the proof for p: all S digests.
func Compute(p Params) []byte {
	w := NewWorker(p)
	out := make([]byte, 0, len(Magic)+4+32*p.Segments)
	out = append(out, Magic...)
	out = binary.BigEndian.AppendUint32(out, uint32(p.Segments))
	for i := 0; i < p.Segments; i++ {
		d := w.Segment(i)
		out = append(out, d[:]...)
	}
	return out
}

// Samples returns the distinct segment indices the verifier recomputes: a
// partial Fisher-Yates shuffle driven by SHA-256 of the input file, all the
// digests and the beacon (nil: none), so it is deterministic and fixed by
// the proof and the beacon.
func Samples(p Params, digests, beacon []byte) []int {
	seed := sha256.New()
	seed.Write([]byte("provernet-bench-v1 samples"))
	seed.Write(p.raw)
	seed.Write(digests)
	seed.Write(beacon)
	var s [32]byte
	seed.Sum(s[:0])

	idx := make([]int, p.Segments)
	for i := range idx {
		idx[i] = i
	}
	k := min(p.Samples, p.Segments)
	for j := 0; j < k; j++ {
		var b [36]byte
		copy(b[:], s[:])
		binary.BigEndian.PutUint32(b[32:], uint32(j))
		r := sha256.Sum256(b[:])
		// Modulo bias is below 2^-40 for S <= 4096: irrelevant here.
		pick := j + int(binary.BigEndian.Uint64(r[:8])%uint64(p.Segments-j))
		idx[j], idx[pick] = idx[pick], idx[j]
	}
	return idx[:k]
}

// ErrMismatch is returned for a sampled segment whose digest is wrong.
var ErrMismatch = errors.New("a sampled segment's digest does not match")

// VerifyParams checks a proof against p, sampling with beacon (nil: none).
func VerifyParams(p Params, proof, beacon []byte) error {
	rest, ok := bytes.CutPrefix(proof, []byte(Magic))
	if !ok || len(rest) < 4 {
		return errors.New("proof: bad header")
	}
	if n := binary.BigEndian.Uint32(rest); n != uint32(p.Segments) {
		return fmt.Errorf("proof: %d segments, input says %d", n, p.Segments)
	}
	digests := rest[4:]
	if len(digests) != 32*p.Segments {
		return fmt.Errorf("proof: %d digest bytes, want %d", len(digests), 32*p.Segments)
	}
	w := NewWorker(p)
	for _, i := range Samples(p, digests, beacon) {
		d := w.Segment(i)
		if !bytes.Equal(d[:], digests[32*i:32*i+32]) {
			return fmt.Errorf("segment %d: %w", i, ErrMismatch)
		}
	}
	return nil
}

// Prove is the prover of the contract.
func Prove(inputs []string) ([]byte, error) {
	data, err := progio.ReadOnlyInput(inputs, MaxInputSize)
	if err != nil {
		return nil, err
	}
	p, err := ParseInput(data)
	if err != nil {
		return nil, err
	}
	return Compute(p), nil
}

// BeaconInput names the optional input file that carries a beacon to
// sample with, at most MaxBeaconSize bytes.
const (
	BeaconInput   = "beacon"
	MaxBeaconSize = 1024
)

// Verify is the verifier of the contract: the input file, and optionally a
// file named BeaconInput.
func Verify(inputs []string, proof []byte) error {
	var rest []string
	var beacon []byte
	for _, in := range inputs {
		if filepath.Base(in) != BeaconInput {
			rest = append(rest, in)
			continue
		}
		b, err := progio.ReadFile(in, MaxBeaconSize)
		if err != nil {
			return err
		}
		beacon = b
	}
	data, err := progio.ReadOnlyInput(rest, MaxInputSize)
	if err != nil {
		return err
	}
	p, err := ParseInput(data)
	if err != nil {
		return err
	}
	return VerifyParams(p, proof, beacon)
}
