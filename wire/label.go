package wire

import "fmt"

// MaxProverLabel bounds a prover's label (RegisterProver.label), in bytes.
const MaxProverLabel = 64

// CheckProverLabel reports what is wrong with a prover label: it is
// optional, at most MaxProverLabel bytes of printable ASCII (space to
// tilde). The chain refuses any other with CodeInvalidMessage; the CLI and
// the daemon check theirs with it before sending anything.
func CheckProverLabel(label string) error {
	if len(label) > MaxProverLabel {
		return fmt.Errorf("the label is %d bytes, at most %d", len(label), MaxProverLabel)
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("the label has byte 0x%02x at %d: printable ASCII only", c, i)
		}
	}
	return nil
}
