package wire

import (
	"bytes"
	"testing"

	"github.com/provernet/provernet/wire/address"
)

// TestValidatorPoPLayout pins the bytes a CreateValidator's keys prove
// possession of: another implementation must build the same, and a change
// is a consensus change.
func TestValidatorPoPLayout(t *testing.T) {
	var op address.Address
	for i := range op {
		op[i] = byte(i)
	}
	vrfKey := bytes.Repeat([]byte{0xaa}, 32)
	want := append([]byte("provernet/validator-pop/consensus/v1\x00\x00\x00\x00\x03abc"), op[:]...)
	if got := ValidatorPoPMessage("abc", op, vrfKey); !bytes.Equal(got, append(want, vrfKey...)) {
		t.Fatalf("ValidatorPoPMessage: %q", got)
	}
	want = append([]byte("provernet/validator-pop/vrf/v1\x00\x00\x00\x00\x03abc"), op[:]...)
	if got := ValidatorVRFPoPAlpha("abc", op); !bytes.Equal(got, want) {
		t.Fatalf("ValidatorVRFPoPAlpha: %q", got)
	}
}
