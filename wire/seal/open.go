package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"filippo.io/age"
)

// Open decrypts a sealed result with one identity string, X25519
// ("AGE-SECRET-KEY-1...") or hybrid ("AGE-SECRET-KEY-PQ-1..."), and returns
// its header and proof. A proof longer than maxProof bytes is refused before
// anything is decrypted. Open is a pure function of its arguments.
func Open(file []byte, identity string, maxProof int) (Header, []byte, error) {
	id, err := parseIdentity(identity)
	if err != nil {
		return Header{}, nil, err
	}
	return OpenWith(file, maxProof, id)
}

// OpenWith is Open with parsed identities, tried in turn.
func OpenWith(file []byte, maxProof int, ids ...age.Identity) (Header, []byte, error) {
	if maxProof < 0 {
		return Header{}, nil, fmt.Errorf("seal: negative proof limit %d", maxProof)
	}
	if err := checkIdentities(ids); err != nil {
		return Header{}, nil, err
	}
	size, err := checkStructure(file)
	if err != nil {
		return Header{}, nil, err
	}
	if proof := size - HeaderSize; proof > maxProof {
		return Header{}, nil, fmt.Errorf("%w: proof is %d bytes, over the limit of %d", ErrMalformed, proof, maxProof)
	}
	r, err := age.Decrypt(bytes.NewReader(file), ids...)
	if err != nil {
		return Header{}, nil, decryptError(err)
	}
	return readPlaintext(r, size)
}

// checkIdentities refuses an empty list and nil identities, which age would
// dereference.
func checkIdentities(ids []age.Identity) error {
	if len(ids) == 0 {
		return errors.New("seal: no identity to open the file with")
	}
	for i, id := range ids {
		if id == nil {
			return fmt.Errorf("seal: identity %d is nil", i)
		}
		if v := reflect.ValueOf(id); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("seal: identity %d is a nil %T", i, id)
		}
	}
	return nil
}

// decryptError sorts age's decryption errors into ErrWrongIdentity and
// ErrMalformed.
func decryptError(err error) error {
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return fmt.Errorf("%w: %w", ErrWrongIdentity, err)
	}
	return fmt.Errorf("%w: %s", ErrMalformed, brief(err))
}

// readPlaintext reads exactly size plaintext bytes, then the end of the
// stream (which authenticates the last chunk), and splits them into header
// and proof.
func readPlaintext(r io.Reader, size int) (Header, []byte, error) {
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, nil, fmt.Errorf("%w: %s", ErrMalformed, brief(err))
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return Header{}, nil, fmt.Errorf("%w: plaintext does not end where its size says", ErrMalformed)
	}
	h, err := ParseHeader(buf[:HeaderSize])
	if err != nil {
		return Header{}, nil, err
	}
	return h, buf[HeaderSize:], nil
}
