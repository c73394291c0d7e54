package seal

import "errors"

// Judgement is what a committee member concludes from a revealed file
// before it verifies the proof inside (see Judge).
type Judgement uint8

const (
	// Sound: the file opens with the identity, its header matches the
	// submission and names the submitter, and the user's stanza holds
	// the file key. The proof inside still has to verify.
	Sound Judgement = iota
	// Invalid: the file does not open, its header does not match the
	// submission, or the user's stanza does not open it.
	Invalid
	// Copied: the file opens and its header names another prover: it was
	// lifted from that prover's submission.
	Copied
)

// String names a judgement as events and logs do.
func (j Judgement) String() string {
	switch j {
	case Sound:
		return "sound"
	case Invalid:
		return "invalid"
	case Copied:
		return "copied"
	}
	return "unknown"
}

// Judge opens a revealed file with its identity and checks it against the
// submission want (the chain's record of the slot: workload, slot,
// submitter, outcome and cycles) and the user's recipient, in the order
// the chain used to: a file that does not open is Invalid, then a header
// naming another prover is Copied, then a header that differs from the
// submission in any other field, or a user stanza that does not hold the
// file key (CheckUserStanza), is Invalid. On Sound it returns the proof.
// Every committee member runs it, so its answer is a pure function of its
// arguments.
func Judge(file []byte, identity string, want Header, user string, maxProof int) (Judgement, []byte, error) {
	h, proof, err := Open(file, identity, maxProof)
	switch {
	case err != nil:
		return Invalid, nil, err
	case h.Prover != want.Prover:
		return Copied, nil, errors.New("seal: the header names another prover")
	case h != want:
		return Invalid, nil, errors.New("seal: the header does not match the submission")
	}
	if err := CheckUserStanza(file, identity, user); err != nil {
		return Invalid, nil, err
	}
	return Sound, proof, nil
}
