package main

import (
	"fmt"
	"math/big"
	"strings"
)

// uprvPerPRV is the number of base units in one PRV.
const uprvPerPRV = 1_000_000

// parseAmount reads "1500", "1500uprv", "2prv" or "0.25prv" as uprv.
func parseAmount(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	scale := int64(1)
	switch {
	case strings.HasSuffix(t, "uprv"):
		t = strings.TrimSuffix(t, "uprv")
	case strings.HasSuffix(t, "prv"):
		t, scale = strings.TrimSuffix(t, "prv"), uprvPerPRV
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("invalid amount %q: use e.g. 1500uprv, 2prv or 0.25prv", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	if !r.IsInt() || !r.Num().IsUint64() {
		return 0, fmt.Errorf("invalid amount %q: not a whole number of uprv (1 prv = 10^6 uprv)", s)
	}
	return r.Num().Uint64(), nil
}

// formatAmount writes uprv as PRV with up to six decimals.
func formatAmount(uprv uint64) string {
	whole, frac := uprv/uprvPerPRV, uprv%uprvPerPRV
	if frac == 0 {
		return fmt.Sprintf("%d PRV", whole)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%06d", whole, frac), "0") + " PRV"
}
