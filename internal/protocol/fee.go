package protocol

import (
	"errors"
	"math/bits"

	"github.com/provernet/provernet/wire/pb"
)

// The fee of a Run (PROTOCOL.md 5.1):
//
//	fee = k * max(min_slot_fee, ceil(cycles / 10^6) * price_per_mcycle * class_multiplier)
//
// where the class multiplier is gpu_class_multiplier for a program whose
// minimum hardware names a GPU and 1 otherwise. min_slot_fee keeps the
// smallest Run worth its committee's verification.

// errFeeOverflow is returned for a Run whose fee does not fit in uint64.
var errFeeOverflow = errors.New("fee overflows uint64")

// ClassMultiplier is the price multiplier of a program's resource class.
func ClassMultiplier(p Params, prog *pb.Program) uint64 {
	if len(prog.GetMinHardware().GetGpus()) > 0 && p.GPUClassMultiplier > 0 {
		return p.GPUClassMultiplier
	}
	return 1
}

// MinDeadline is the shortest deadline (blocks after inclusion) a Run of
// cycles may ask for: allocation, the accept window, then the proving time
// at cycles_per_block.
func MinDeadline(p Params, cycles uint64) int64 {
	blocks := cycles / p.CyclesPerBlock
	if cycles%p.CyclesPerBlock != 0 {
		blocks++
	}
	return 1 + p.AcceptWindow + int64(min(blocks, 1<<40))
}

// Quote computes what a Run of prog with cycles and k provers costs.
func Quote(p Params, prog *pb.Program, cycles uint64, k uint32) (*pb.FeeQuote, error) {
	mcycles := cycles / 1_000_000
	if cycles%1_000_000 != 0 {
		mcycles++
	}
	mult := ClassMultiplier(p, prog)
	perSlot, err := mulAll(mcycles, p.PricePerMcycle, mult)
	if err != nil {
		return nil, err
	}
	perSlot = max(perSlot, p.MinSlotFee)
	fee, err := mulAll(perSlot, uint64(k))
	if err != nil {
		return nil, err
	}
	return &pb.FeeQuote{Fee: fee, Mcycles: mcycles, ClassMultiplier: mult,
		MinDeadline: MinDeadline(p, cycles), PerSlot: perSlot, PricePerMcycle: p.PricePerMcycle, MinSlotFee: p.MinSlotFee}, nil
}

func mulAll(xs ...uint64) (uint64, error) {
	r := uint64(1)
	for _, x := range xs {
		hi, lo := bits.Mul64(r, x)
		if hi != 0 {
			return 0, errFeeOverflow
		}
		r = lo
	}
	return r, nil
}

// bpOf returns x * bp / 10000, rounded down, without overflow; bp above
// 10000 counts as 10000.
func bpOf(x uint64, bp uint32) uint64 {
	bp = min(bp, 10000)
	hi, lo := bits.Mul64(x, uint64(bp))
	q, _ := bits.Div64(hi, lo, 10000) // hi < bp <= 10000: no overflow
	return q
}
