package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
)

// The power cap (staking review, docs/CHAIN.md "Validators"). CometBFT
// commits a block only with the signatures of more than two thirds of the
// power, so power that never signs halts the chain once it reaches a
// third. A CreateValidator is refused (power_cap) unless the power it adds,
// with all the power added over the recent window, stays below a third of
// the total bonded power after it:
//
//	3 * (recent + power) < total + power
//
// where total is the bonded power before it (genesis validators' power,
// which no stake backs, included) and recent the power CreateValidator
// added in the current and the previous epoch of downtime_window heights
// (so at least the last downtime_window heights). A validator nobody runs
// is jailed for downtime within the window (validator_downtime.go), so
// power that never signs never adds up to a third; one validator's power,
// part of recent when it joins, is below a third of the total then.
// Integers only: the powers are below 2^54 (max_validators * 2^40).

// keyValidatorPower is the total power of the bonded validators (8 bytes,
// big-endian), kept by putValidator; written only with staking on.
var keyValidatorPower = []byte("valpower")

// keyValidatorGrowth is the power added by CreateValidator in the last
// two epochs of downtime_window heights: epoch, previous, current (3 x 8
// bytes, big-endian).
var keyValidatorGrowth = []byte("valgrowth")

// TotalPower is the power of the bonded validators.
func TotalPower(r store.Reader) (uint64, error) {
	b, err := r.Get(keyValidatorPower)
	if err != nil {
		return 0, fmt.Errorf("failed to read the total validator power: %w", err)
	}
	if len(b) != 8 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// addTotalPower moves the total power by delta.
func addTotalPower(kv store.KV, delta int64) error {
	if delta == 0 {
		return nil
	}
	n, err := TotalPower(kv)
	if err != nil {
		return err
	}
	return kv.Set(keyValidatorPower, binary.BigEndian.AppendUint64(nil, uint64(int64(n)+delta)))
}

// growth is the window of recently added power, as of some epoch.
type growth struct {
	epoch, prev, cur uint64
}

// readGrowth returns the growth record moved to height's epoch: the power
// added in that epoch (cur) and the one before (prev).
func readGrowth(r store.Reader, height, window int64) (growth, error) {
	b, err := r.Get(keyValidatorGrowth)
	if err != nil {
		return growth{}, fmt.Errorf("failed to read the recent validator growth: %w", err)
	}
	e := uint64(height / window)
	g := growth{epoch: e}
	if len(b) != 24 {
		return g, nil
	}
	was := growth{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])}
	switch {
	case was.epoch == e:
		g = was
	case was.epoch+1 == e:
		g.prev = was.cur
	}
	return g, nil
}

// RecentPower is the power CreateValidator added in height's epoch of
// downtime_window heights and the one before.
func RecentPower(r store.Reader, height int64, vp ValidatorParams) (uint64, error) {
	g, err := readGrowth(r, height, vp.DowntimeWindow)
	return g.prev + g.cur, err
}

// checkPowerCap rejects power that would bring the recently added power to
// a third of the total (power_cap).
func checkPowerCap(kv store.Reader, env Env, vp ValidatorParams, power uint64) (Result, error) {
	total, err := TotalPower(kv)
	if err != nil {
		return Result{}, err
	}
	recent, err := RecentPower(kv, env.Height, vp)
	if err != nil {
		return Result{}, err
	}
	if 3*(recent+power) >= total+power {
		most := uint64(0) // the largest p with 3*(recent+p) < total+p
		if total > 3*recent {
			most = (total - 3*recent - 1) / 2
		}
		return reject(wire.CodePowerCap, "create validator: power %d would bring the power added over the last %d blocks to %d of %d, a third or more: power nobody runs would halt the chain; at most %d now, or wait for the window to pass",
			power, vp.DowntimeWindow, recent+power, total+power, most), nil
	}
	return Result{}, nil
}

// addGrowth records power added at env.Height.
func addGrowth(kv store.KV, env Env, vp ValidatorParams, power uint64) error {
	g, err := readGrowth(kv, env.Height, vp.DowntimeWindow)
	if err != nil {
		return err
	}
	g.cur += power
	b := binary.BigEndian.AppendUint64(nil, g.epoch)
	b = binary.BigEndian.AppendUint64(b, g.prev)
	return kv.Set(keyValidatorGrowth, binary.BigEndian.AppendUint64(b, g.cur))
}
