package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
)

// The random challenges' draw (docs/WORKLOADS.md, "Challenges"). Each
// active prover has a fixed position, ChallengePosition(address), uniform
// over [0, 2^64). Each block the beacon draws a window of that space: it
// starts at the first 8 bytes, big-endian, of SHA-256(domain || seed) and
// is floor(2^64 / challenge_interval) wide, wrapping past 2^64 - 1; the
// active provers whose position falls in it are challenged. The start is
// uniform and fresh each block, so each active prover is challenged at a
// block with probability floor(2^64/interval) / 2^64 (1/interval to
// within 2^-64), independently from block to block. The chal/ index is
// ordered by position (active.go), so a block reads only the provers in
// its window: O(challenged), not O(provers).
//
// This replaced an independent draw per prover (alloc.Challenged over
// seed and address), which had to look at every prover each block. The
// rate is the same; what changed is that provers close in position are
// challenged in the same blocks.

const challengeWindowDomain = "provernet/challenge-window/v1"

// challengeWindow is the window of positions challenged at the block of
// seed: [start, start+width) modulo 2^64, or every position (all) when
// interval is at most 1.
func challengeWindow(seed []byte, interval uint64) (start, width uint64, all bool) {
	if interval <= 1 {
		return 0, 0, true
	}
	h := sha256.New()
	h.Write([]byte(challengeWindowDomain))
	h.Write(seed)
	return binary.BigEndian.Uint64(h.Sum(nil)[:8]), ^uint64(0) / interval, false
}

// inChallengeWindow reports whether position pos falls in the window
// [start, start+width) modulo 2^64.
func inChallengeWindow(pos, start, width uint64) bool { return pos-start < width }

// challengePositionKey is the first chal/ key at position pos.
func challengePositionKey(pos uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefixChallenge...), pos)
}

// challengedProvers lists the active provers the beacon challenges at the
// block of seed, in order of position from the window's start.
func challengedProvers(r store.Reader, seed []byte, interval uint64) ([]address.Address, error) {
	start, width, all := challengeWindow(seed, interval)
	end := store.PrefixEnd(prefixChallenge)
	ranges := [][2][]byte{{prefixChallenge, end}}
	if !all {
		lo, hi := challengePositionKey(start), challengePositionKey(start+width)
		ranges = [][2][]byte{{lo, hi}}
		if start+width < start { // wraps past 2^64 - 1
			ranges = [][2][]byte{{lo, end}, {prefixChallenge, hi}}
		}
	}
	var out []address.Address
	for _, rg := range ranges {
		var bad []byte
		err := r.Iterate(rg[0], rg[1], func(k, _ []byte) bool {
			if len(k) != len(prefixChallenge)+8+address.Size {
				bad = bytes.Clone(k)
				return false
			}
			out = append(out, address.Address(k[len(prefixChallenge)+8:]))
			return true
		})
		if err != nil {
			return nil, err
		}
		if bad != nil {
			return nil, fmt.Errorf("challenge index: malformed key %x", bad)
		}
	}
	return out, nil
}
