package seal

import "errors"

var (
	// ErrWrongIdentity is wrapped when none of the given identities opens
	// any recipient stanza of the file.
	ErrWrongIdentity = errors.New("seal: no identity opens the file")
	// ErrMalformed is wrapped when a file, its age header, its payload or
	// the plaintext inside it is structurally bad.
	ErrMalformed = errors.New("seal: malformed sealed result")
)
