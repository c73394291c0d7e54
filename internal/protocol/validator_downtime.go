package protocol

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/store"
)

// Downtime jailing (staking review, docs/CHAIN.md "Validators"). Each
// block, CometBFT tells the app which validators of the previous height's
// set signed its commit (FinalizeBlockRequest.DecidedLastCommit). A bonded
// validator that missed more than downtime_max_missed_bp of the last
// downtime_window heights is jailed as evidence jails (jail: power 0, the
// cooldown, its key never bonds again) but not slashed: it is marked
// jailed_for_downtime, and evidence of what it signed still slashes it.
//
// Kept incrementally: valmiss/<consensus address> holds the number of
// misses and a bitmap of downtime_window bits, bit h % downtime_window for
// height h. A block reads one record per validator in the commit and
// writes one only when a bit changes (a miss, or an old miss leaving the
// window): an always-signing validator costs a read and has no record.
// Heights before a validator joined count as signed: a key bonds once, so
// its membership is one run of heights.

// Bounds of downtime_window: the bitmap is at most 12.5 KB, written on a
// miss; downtimeSlack is how many blocks the window must exceed the misses
// it allows by (validate, and validator_power.go).
const (
	minDowntimeWindow = 10
	maxDowntimeWindow = 100_000
	downtimeSlack     = 4
)

// prefixMissed holds the missed-block records: valmiss/<20-byte address>.
var prefixMissed = []byte("valmiss/")

func missedKey(consAddr []byte) []byte {
	return append(append([]byte{}, prefixMissed...), consAddr...)
}

// Signature is one validator's entry in the last commit.
type Signature struct {
	ConsensusAddress []byte // 20 bytes
	Signed           bool   // false: CometBFT reports its vote absent
}

// RecordSignatures counts the last commit's missed signatures, at the start
// of block env.Block (after its evidence, before its transactions), and
// jails the bonded validators that missed too many; it returns what it
// jailed. The commit is of height env.Height-1.
func RecordSignatures(kv store.KV, env Env, sigs []Signature) ([]Event, error) {
	vp, ok := env.Params.Validators()
	if !ok || env.Height < 2 {
		return nil, nil
	}
	var evs []Event
	for _, s := range sigs {
		if len(s.ConsensusAddress) != 20 {
			continue
		}
		ev, err := recordSignature(kv, env, vp, s)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			evs = append(evs, *ev)
		}
	}
	return evs, nil
}

// missed is a validator's record of its recent misses.
type missed struct {
	count  uint32
	bitmap []byte
}

// getMissed reads a validator's misses; none if it has no record.
func getMissed(r store.Reader, consAddr []byte, window int64) (missed, error) {
	size := int((window + 7) / 8)
	b, err := r.Get(missedKey(consAddr))
	if err != nil {
		return missed{}, fmt.Errorf("failed to read the misses of %X: %w", consAddr, err)
	}
	if len(b) != 4+size {
		return missed{bitmap: make([]byte, size)}, nil
	}
	return missed{count: binary.BigEndian.Uint32(b), bitmap: append([]byte{}, b[4:]...)}, nil
}

// putMissed writes m, or deletes the record when it holds no miss.
func putMissed(kv store.KV, consAddr []byte, m missed) error {
	if m.count == 0 {
		return kv.Delete(missedKey(consAddr))
	}
	return kv.Set(missedKey(consAddr), append(binary.BigEndian.AppendUint32(nil, m.count), m.bitmap...))
}

// forgetMissed deletes a validator's misses when it leaves the set.
func forgetMissed(kv store.KV, consAddr []byte) error {
	return kv.Delete(missedKey(consAddr))
}

// recordSignature sets the bit of the commit's height for one validator,
// and jails it if it is bonded and its misses pass the allowance.
func recordSignature(kv store.KV, env Env, vp ValidatorParams, s Signature) (*Event, error) {
	m, err := getMissed(kv, s.ConsensusAddress, vp.DowntimeWindow)
	if err != nil {
		return nil, err
	}
	pos := (env.Height - 1) % vp.DowntimeWindow
	byteAt, bit := pos/8, byte(1)<<(pos%8)
	wasMiss := m.bitmap[byteAt]&bit != 0
	if wasMiss == !s.Signed {
		return nil, nil // the bit stays: nothing to write
	}
	if s.Signed { // a miss leaves the window
		m.bitmap[byteAt] &^= bit
		m.count--
		return nil, putMissed(kv, s.ConsensusAddress, m)
	}
	v, err := GetValidator(kv, s.ConsensusAddress)
	if isNotFound(err) {
		return nil, nil // no record: staking's genesis predates it, or a stranger
	}
	if err != nil || v.Power == 0 {
		return nil, err // unbonding or jailed already: CometBFT lists it two more blocks
	}
	m.bitmap[byteAt] |= bit
	m.count++
	if int64(m.count) <= vp.MaxMissed() {
		return nil, putMissed(kv, s.ConsensusAddress, m)
	}
	jailed, err := jail(kv, env, vp, v, true)
	if err != nil || !jailed { // the last bonded validator stays, and its misses with it
		if err == nil {
			err = putMissed(kv, s.ConsensusAddress, m)
		}
		return nil, err
	}
	ev := event("validator_jailed", "validator", fmt.Sprintf("%X", v.ConsensusAddress), "operator", addrString(v.Operator),
		"reason", "downtime", "missed", strconv.FormatUint(uint64(m.count), 10), "window", strconv.FormatInt(vp.DowntimeWindow, 10))
	return &ev, nil
}

// MissedBlocks is how many of the last downtime_window heights the
// validator missed while bonded (0 with staking off).
func MissedBlocks(r store.Reader, params Params, consAddr []byte) (uint32, error) {
	vp, ok := params.Validators()
	if !ok {
		return 0, nil
	}
	m, err := getMissed(r, consAddr, vp.DowntimeWindow)
	return m.count, err
}
