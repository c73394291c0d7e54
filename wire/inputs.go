package wire

import (
	"fmt"
	"regexp"
	"strings"
)

// ProofInput is the file a verifier reads the proof from, beside the
// workload's inputs. No input of a Run may take the name, in any case (on
// some file systems Proof is proof): the chain rejects such a Run, so a
// user's file can never stand in for the proof a committee checks.
const ProofInput = "proof"

var inputName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckInputName says why name cannot name an input of a Run, or returns
// nil. Inputs become files in the sandbox's /in, so a name is a plain file
// name: 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit.
func CheckInputName(name string) error {
	if !inputName.MatchString(name) {
		return fmt.Errorf("name %q must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit", name)
	}
	if strings.EqualFold(name, ProofInput) {
		return fmt.Errorf("the name %q is reserved: a verifier reads the proof under it; rename the input", name)
	}
	return nil
}

// SameInputName reports whether two input names would be the same file on
// a file system that ignores case; a Run may not have both.
func SameInputName(a, b string) bool { return strings.EqualFold(a, b) }
