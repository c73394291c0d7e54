package mimcchain

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeInputJSON decodes input.json into InputJSON exactly as
// encoding/json does with
//
//	dec := json.NewDecoder(bytes.NewReader(data))
//	dec.DisallowUnknownFields()
//	err := dec.Decode(&in)
//	... and then fails if dec.More()
//
// (which the programs used to run): it accepts the same inputs and gives
// the same values, without linking encoding/json, reflect and fmt. What
// that means, spelled out:
//
//   - one JSON object (or null: the zero InputJSON), optionally surrounded by JSON whitespace; after
//     it, the end of the input or (More's peek) a ']' or '}', after
//     which anything goes;
//   - its keys, unescaped, are "n", "x" or "y" in either case (the only
//     keys encoding/json's case folding matches to these fields; no
//     non-ASCII rune folds to N, X or Y); a key may repeat, the last
//     value wins, and every value must still be of the field's type;
//   - n is an integer literal that fits in an int64 (strconv.ParseInt of
//     the literal: no fraction, no exponent) or null; x and y are strings
//     or null; null leaves the field as it was.
//
// Every error is a syntax or type error of the input (the caller makes it
// malformed). The differential test in inputjson_test.go holds this
// parser to encoding/json.
func DecodeInputJSON(data []byte) (InputJSON, error) {
	p := jsonParser{b: data}
	var in InputJSON
	p.space()
	switch {
	case p.null():
		// null decodes into a struct as nothing at all.
	case !p.consume('{'):
		return InputJSON{}, p.fail("want a JSON object")
	default:
		p.space()
		if p.consume('}') {
			break
		}
		for {
			p.space()
			key, err := p.string()
			if err != nil {
				return InputJSON{}, err
			}
			p.space()
			if !p.consume(':') {
				return InputJSON{}, p.fail("want ':' after object key")
			}
			p.space()
			switch key {
			case "n", "N":
				err = p.intValue(&in.N)
			case "x", "X":
				err = p.stringValue(&in.X)
			case "y", "Y":
				err = p.stringValue(&in.Y)
			default:
				err = errors.New("unknown field " + strconv.Quote(key))
			}
			if err != nil {
				return InputJSON{}, err
			}
			p.space()
			if p.consume(',') {
				continue
			}
			if p.consume('}') {
				break
			}
			return InputJSON{}, p.fail("want ',' or '}' after object value")
		}
	}
	// json.Decoder.More: anything but the end, ']' or '}' is more data.
	p.space()
	if p.i < len(p.b) && p.b[p.i] != ']' && p.b[p.i] != '}' {
		return InputJSON{}, errors.New("trailing data")
	}
	return in, nil
}

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) fail(msg string) error {
	return errors.New(msg + " at offset " + strconv.Itoa(p.i))
}

// space skips JSON whitespace.
func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// null consumes a null literal if one is next. Any other literal after
// "n" is an error of the caller's: it is not a value of its type either.
func (p *jsonParser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// intValue decodes a value into an int field: null keeps it, an integer
// literal that strconv.ParseInt takes sets it, anything else is an error.
func (p *jsonParser) intValue(v *int) error {
	if p.null() {
		return nil
	}
	start := p.i
	if !p.number() {
		return p.fail("n: want an integer")
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		return p.fail("n: want an integer that fits 64 bits")
	}
	*v = int(n)
	return nil
}

// number consumes a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() bool {
	p.consume('-')
	switch {
	case p.consume('0'):
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.consume('.') {
		if p.digits() == 0 {
			return false
		}
	}
	if p.consume('e') || p.consume('E') {
		if !p.consume('+') {
			p.consume('-')
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

func (p *jsonParser) digits() int {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// stringValue decodes a value into a string field: null keeps it, a
// string sets it, anything else is an error.
func (p *jsonParser) stringValue(v *string) error {
	if p.null() {
		return nil
	}
	s, err := p.string()
	if err != nil {
		return err
	}
	*v = s
	return nil
}

// string consumes a JSON string and returns it unescaped as encoding/json
// does: invalid UTF-8 and lone surrogates become U+FFFD.
func (p *jsonParser) string() (string, error) {
	if !p.consume('"') {
		return "", p.fail("want a string")
	}
	var out []byte
	for {
		if p.i >= len(p.b) {
			return "", p.fail("unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < ' ':
			return "", p.fail("control character in string")
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", p.fail("unterminated string")
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4(p.i)
				if !ok {
					return "", p.fail("bad \\u escape")
				}
				p.i += 4
				if utf16.IsSurrogate(r) {
					// A pair only if another \u escape follows and
					// completes it; else U+FFFD, and the next escape is
					// read on its own.
					if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
						if r2, ok := p.hex4(p.i + 2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								p.i += 6
								break
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", p.fail("bad escape in string")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, p.b[p.i:p.i+size]...)
			}
			p.i += size
		}
	}
}

// hex4 reads the four hex digits of a \u escape at b[i:].
func (p *jsonParser) hex4(i int) (rune, bool) {
	if len(p.b)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[i : i+4] {
		d := digitValue(c)
		if d >= 16 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
