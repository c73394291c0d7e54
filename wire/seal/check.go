package seal

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"filippo.io/age"
)

const (
	// ageIntro opens every binary age v1 file.
	ageIntro = "age-encryption.org/v1\n"
	// armorBegin opens an ASCII-armored age file, which is not accepted.
	armorBegin = "-----BEGIN AGE ENCRYPTED FILE-----"
)

// CheckFile is the cheap structural check the chain runs on every
// submission, without decrypting: file is at most maxSize bytes, a binary
// (not armored) age v1 file whose header age itself parses (intro, stanzas,
// "---" MAC line), with one or two recipient stanzas shaped like the ones
// Seal writes (X25519 or mlkem768x25519, at least one X25519 for the
// temporary identity), and a payload whose length is a valid age stream
// holding at least a Header. Errors wrap ErrMalformed.
//
// It cannot tell a payload that was cut inside its last chunk or altered:
// only decryption (Open) authenticates the payload, and only the user's
// identity can check the user's stanza.
func CheckFile(file []byte, maxSize int) error {
	if len(file) > maxSize {
		return fmt.Errorf("%w: file is %d bytes, over the limit of %d", ErrMalformed, len(file), maxSize)
	}
	_, err := checkStructure(file)
	return err
}

// checkStructure checks everything CheckFile does but the size limit and
// returns the plaintext size the payload holds.
func checkStructure(file []byte) (int, error) {
	if err := checkIntro(file); err != nil {
		return 0, err
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		return 0, fmt.Errorf("%w: %s", ErrMalformed, brief(err))
	}
	// age re-encodes the header it parsed; its parser only accepts the
	// canonical encoding, so this holds for every file it accepts.
	if !bytes.HasPrefix(file, hdr) {
		return 0, fmt.Errorf("%w: age header is not canonically encoded", ErrMalformed)
	}
	if err := checkStanzas(hdr); err != nil {
		return 0, err
	}
	return payloadPlaintext(len(file) - len(hdr))
}

// checkIntro tells a binary age v1 file from an armored one and from
// anything else.
func checkIntro(file []byte) error {
	switch {
	case bytes.HasPrefix(file, []byte(ageIntro)):
		return nil
	case bytes.HasPrefix(bytes.TrimLeft(file, " \t\r\n"), []byte(armorBegin)):
		return fmt.Errorf("%w: armored age file; submit the binary format", ErrMalformed)
	}
	return fmt.Errorf("%w: not an age v1 file (no %q intro)", ErrMalformed, strings.TrimSuffix(ageIntro, "\n"))
}

// brief shortens an error's text: age quotes offending lines, which may be
// long, and the chain records rejection reasons in blocks.
func brief(err error) string {
	const max = 160
	s := err.Error()
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}

// stanzaShape is the decoded size of a stanza type's one argument and its
// body (the wrapped 16-byte file key and a 16-byte tag).
type stanzaShape struct{ arg, body int }

var stanzaShapes = map[string]stanzaShape{
	"X25519":         {arg: 32, body: 32},   // ephemeral share
	"mlkem768x25519": {arg: 1120, body: 32}, // HPKE encapsulated key
}

// checkStanzas checks the count and shape of the recipient stanzas of a
// canonical header.
func checkStanzas(hdr []byte) error {
	ss := parseStanzas(hdr)
	if len(ss) < 1 || len(ss) > 2 {
		return fmt.Errorf("%w: %d recipient stanzas, want 1 or 2", ErrMalformed, len(ss))
	}
	x25519 := 0
	for _, s := range ss {
		if err := s.check(); err != nil {
			return err
		}
		if s.typ == "X25519" {
			x25519++
		}
	}
	if x25519 == 0 {
		return fmt.Errorf("%w: no X25519 stanza for the temporary identity", ErrMalformed)
	}
	return nil
}

// stanza is one recipient stanza of a canonical header.
type stanza struct {
	typ     string
	args    []string
	bodyLen int // decoded bytes
}

// parseStanzas lists the stanzas of a header age has parsed and re-encoded:
// "-> type args" lines, each followed by base64 body lines. Body lines never
// start with "->" ('-' is not in the base64 alphabet).
func parseStanzas(hdr []byte) []stanza {
	lines := strings.Split(string(hdr), "\n")
	var ss []stanza
	for _, l := range lines[1:] {
		if rest, ok := strings.CutPrefix(l, "-> "); ok {
			f := strings.Split(rest, " ")
			ss = append(ss, stanza{typ: f[0], args: f[1:]})
			continue
		}
		if strings.HasPrefix(l, "---") || len(ss) == 0 {
			break
		}
		ss[len(ss)-1].bodyLen += base64.RawStdEncoding.DecodedLen(len(l))
	}
	return ss
}

// check compares s with the shape Seal's recipients write.
func (s stanza) check() error {
	shape, ok := stanzaShapes[s.typ]
	if !ok {
		return fmt.Errorf("%w: unsupported stanza type %.40q, want X25519 or mlkem768x25519", ErrMalformed, s.typ)
	}
	if len(s.args) != 1 {
		return fmt.Errorf("%w: %s stanza has %d arguments, want 1", ErrMalformed, s.typ, len(s.args))
	}
	arg, err := base64.RawStdEncoding.Strict().DecodeString(s.args[0])
	if err != nil || len(arg) != shape.arg {
		return fmt.Errorf("%w: %s stanza argument is not %d bytes of base64", ErrMalformed, s.typ, shape.arg)
	}
	if s.bodyLen != shape.body {
		return fmt.Errorf("%w: %s stanza body is %d bytes, want %d", ErrMalformed, s.typ, s.bodyLen, shape.body)
	}
	return nil
}
