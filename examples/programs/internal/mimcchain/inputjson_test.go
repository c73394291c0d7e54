package mimcchain

import (
	"bytes"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/provernet/provernet/examples/programs/internal/progio"
)

// The oracles are the parsers the programs used before they dropped
// encoding/json and math/big; DecodeInputJSON, ParseElement and ParseInput
// must accept exactly what they accept, with the same values.

func oracleJSON(data []byte) (InputJSON, error) {
	var in InputJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return InputJSON{}, err
	}
	if dec.More() {
		return InputJSON{}, errTest
	}
	return in, nil
}

func oracleElement(s *Spec, str string) (*big.Int, bool) {
	v := new(big.Int)
	ok := false
	if h, found := strings.CutPrefix(str, "0x"); found {
		_, ok = v.SetString(h, 16)
	} else {
		_, ok = v.SetString(str, 10)
	}
	if !ok || v.Sign() < 0 || v.Cmp(toBig(s.Modulus)) >= 0 {
		return nil, false
	}
	return v, true
}

// oracleInput is the old ParseInput: x and y nil if absent.
func oracleInput(s *Spec, data []byte) (n int, x, y *big.Int, ok bool) {
	in, err := oracleJSON(data)
	if err != nil || in.N < MinChainLength || in.N > MaxChainLength {
		return 0, nil, nil, false
	}
	if in.X != "" {
		if x, ok = oracleElement(s, in.X); !ok {
			return 0, nil, nil, false
		}
	}
	if in.Y != "" {
		if y, ok = oracleElement(s, in.Y); !ok {
			return 0, nil, nil, false
		}
	}
	return in.N, x, y, true
}

// checkSame compares both parsers, both layers, on one input.
func checkSame(t *testing.T, data []byte) (accepted bool) {
	t.Helper()
	want, werr := oracleJSON(data)
	got, gerr := DecodeInputJSON(data)
	if (werr == nil) != (gerr == nil) || want != got {
		t.Fatalf("DecodeInputJSON(%q) = %+v, %v; encoding/json: %+v, %v", data, got, gerr, want, werr)
	}
	n, x, y, ok := oracleInput(testSpec, data)
	in, err := testSpec.ParseInput(data)
	if ok != (err == nil) {
		t.Fatalf("ParseInput(%q): err %v, old parser accepts: %v", data, err, ok)
	}
	if err != nil && !progio.IsMalformed(err) {
		t.Fatalf("ParseInput(%q): %v is not malformed", data, err)
	}
	if ok && (in.N != n || !sameElem(in.X, x) || !sameElem(in.Y, y)) {
		t.Fatalf("ParseInput(%q) = %d %v %v, old parser %d %v %v", data, in.N, in.X, in.Y, n, x, y)
	}
	return werr == nil
}

func sameElem(e *Element, v *big.Int) bool {
	if e == nil || v == nil {
		return e == nil && v == nil
	}
	return toBig(*e).Cmp(v) == 0
}

var modulusDec = new(big.Int).Lsh(big.NewInt(1), 253).String()

// handPicked are the corners, each checked against encoding/json.
var handPicked = []string{
	// valid, and whitespace
	`{"n": 5, "x": "0x2a", "y": "47"}`, `{"n":1}`, "\t\r\n {\n\"n\"\t:\r1 }\n\t", `{"n":4096}`, `{"n":4097}`,
	`{ "n" : 3 , "x" : "1" , "y" : "2" }`, "{\"n\":1}\f", "\v{\"n\":1}", "\u00a0{\"n\":1}", "\ufeff{\"n\":1}",
	// case folding, escapes in keys, near-miss keys
	`{"N":3}`, `{"X":"1","n":2}`, `{"n":2,"Y":"7"}`, `{"\u006e":3}`, `{"\u004E":3}`, `{"\u0078":"1","n":1}`,
	`{"ｎ":3}`, `{"ſ":3}`, `{"K":3}`, `{"n ":3}`, `{" n":3}`, `{"nn":3}`, `{"":3}`, `{"n\u0000":3}`, `{"z":1,"n":1}`,
	// duplicates, last wins, null keeps
	`{"n":3,"n":4}`, `{"n":3,"N":4}`, `{"n":3,"n":null}`, `{"n":null,"n":3}`, `{"x":"1","x":"2","n":1}`,
	`{"n":1,"x":"q","x":"5"}`, `{"n":1,"x":"5","x":null}`, `{"n":1,"x":"5","x":""}`, `{"n":"a","n":3}`,
	`{"n":1e2,"n":3}`, `{"n":99999999999999999999,"n":3}`, `{"n":3,"x":1,"x":"1"}`, `{"n":0,"n":3}`,
	// numbers
	`{"n":1e2}`, `{"n":1E0}`, `{"n":1.0}`, `{"n":01}`, `{"n":-0}`, `{"n":-1}`, `{"n":+1}`, `{"n":0x10}`, `{"n":1.}`,
	`{"n":.5}`, `{"n":1e}`, `{"n":1e+}`, `{"n":-}`, `{"n":9223372036854775807}`, `{"n":9223372036854775808}`,
	`{"n":-9223372036854775808}`, `{"n":-9223372036854775809}`, `{"n":4096.0}`, `{"n":3 }`, `{"n":3a}`, `{"n":3-}`,
	// other types
	`{"n":"3"}`, `{"n":true}`, `{"n":false}`, `{"n":[]}`, `{"n":{}}`, `{"n":1,"x":1}`, `{"n":1,"x":true}`,
	`{"n":1,"x":["1"]}`, `{"n":1,"x":{"a":1}}`, `{"n":1,"y":null}`, `{"n":nul}`, `{"n":nulll}`, `{"n":NULL}`,
	// top level
	``, ` `, `null`, `null ]`, `null]`, `nullx`, `null null`, `{}`, `[]`, `"n"`, `3`, `true`, `{`, `}`, `{"n":1`,
	`{"n":1,}`, `{,"n":1}`, `{"n" 1}`, `{"n"::1}`, `{n:1}`, `{'n':1}`, `[{"n":1}]`,
	// trailing data: More() lets ']' and '}' through
	`{"n":1} `, `{"n":1}]`, `{"n":1}}`, `{"n":1} ] junk`, `{"n":1} } {`, `{"n":1}x`, `{"n":1} {}`, `{"n":1}{"n":2}`,
	`{"n":1},`, "{\"n\":1}\x00", `{"n":1}null`, `{"n":1} 1`,
	// strings: escapes, unicode, invalid UTF-8, control characters
	`{"n":1,"x":"\u0031"}`, `{"n":1,"x":"\u00312"}`, `{"n":1,"x":"0\u00782a"}`, `{"n":1,"x":"\/1"}`, `{"n":1,"x":"1\n"}`,
	`{"n":1,"x":"\ud83d\ude00"}`, `{"n":1,"x":"\ud800"}`, `{"n":1,"x":"\ud800\u0041"}`, `{"n":1,"x":"\udc00"}`,
	`{"n":1,"x":"\u12"}`, `{"n":1,"x":"\u12g4"}`, `{"n":1,"x":"\x"}`, `{"n":1,"x":"\'"}`, "{\"n\":1,\"x\":\"1\x01\"}",
	"{\"n\":1,\"x\":\"\xff\"}", "{\"n\":1,\"x\":\"\xc3\"}", "{\"n\":1,\"\xff\":\"1\"}", `{"n":1,"x":"é"}`,
	`{"n":1,"x":"1`, `{"n":1,"x":"\`, `{"n":1,"x":"\u"}`, `{"n":1,"x":"\ud800\u"}`, "{\"n\":1,\"x\":\"1\x7f\"}",
	// elements
	`{"n":1,"x":"+5"}`, `{"n":1,"x":"-0"}`, `{"n":1,"x":"-5"}`, `{"n":1,"x":"0x"}`, `{"n":1,"x":"0x0x1"}`,
	`{"n":1,"x":"0X1f"}`, `{"n":1,"x":"0xAbC"}`, `{"n":1,"x":"0x+5"}`, `{"n":1,"x":"0x-5"}`, `{"n":1,"x":"0x-0"}`,
	`{"n":1,"x":"1_000"}`, `{"n":1,"x":" 1"}`, `{"n":1,"x":"1 "}`, `{"n":1,"x":"00000000000000000000000000000000000000000000000000000000000000000000000000000000000007"}`,
	`{"n":1,"x":"` + modulusDec + `"}`, `{"n":1,"y":"` + new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1)).String() + `"}`,
	`{"n":1,"x":"` + new(big.Int).Lsh(big.NewInt(1), 256).String() + `"}`, `{"n":1,"x":"0x` + strings.Repeat("f", 64) + `"}`,
	`{"n":1,"x":"0x1` + strings.Repeat("0", 64) + `"}`, `{"n":1,"x":"` + strings.Repeat("9", 200) + `"}`,
	`{"n":1,"x":"--5"}`, `{"n":1,"x":"+"}`, `{"n":1,"x":"-"}`, `{"n":1,"x":"1e3"}`, `{"n":1,"x":"١"}`,
	// deep nesting
	`{"n":1,"z":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
	`{"n":` + strings.Repeat("[", 20000) + `}`,
}

func TestDecodeInputJSONHandPicked(t *testing.T) {
	accepted := 0
	for _, s := range handPicked {
		if checkSame(t, []byte(s)) {
			accepted++
		}
	}
	t.Logf("%d hand-picked inputs, %d accepted by encoding/json", len(handPicked), accepted)
}

// TestFoldedKeys: encoding/json matches keys to fields case-insensitively
// (ToUpper(ToLower(r)) rune by rune); DecodeInputJSON knows only the ASCII
// cases, which is right only as long as no other rune folds to N, X or Y.
func TestFoldedKeys(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		switch f := unicode.ToUpper(unicode.ToLower(r)); {
		case (f == 'N' || f == 'X' || f == 'Y') && unicode.ToUpper(r) != f:
			t.Errorf("%U folds to %c", r, f)
		case r >= 0x80 && r%97 == 0: // a sample through encoding/json itself
			checkSame(t, []byte(`{"`+string(r)+`":1,"n":1}`))
		}
	}
}

// generator builds random inputs from JSON-ish pieces, most of them
// nearly valid, then mutates some bytes.
type generator struct{ r *rand.Rand }

func (g generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

var (
	genSpace = []string{"", "", "", " ", "\n", "\t", "\r\n  ", "\f", "\u00a0"}
	genKeys  = []string{`"n"`, `"n"`, `"x"`, `"y"`, `"N"`, `"X"`, `"Y"`, `"\u006e"`, `"\u0058"`, `"z"`, `"nn"`, `""`, `"ｎ"`, `n`, `'n'`}
	genInts  = []string{"1", "3", "4096", "4097", "0", "-0", "-1", "01", "1e2", "1.0", "1E0", "2.5e1", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "1" + strings.Repeat("0", 30), "1.", "-", "+1", "0x1"}
	genStrs = []string{`"1"`, `"0x2a"`, `"0X2a"`, `"+5"`, `"-0"`, `"-5"`, `""`, `" 1"`, `"\u0031"`, `"\ud83d\ude00"`, `"\ud800"`,
		`"\ud800\u0035"`, "\"\xff\"", `"é"`, `"` + modulusDec + `"`, `"0x` + strings.Repeat("F", 64) + `"`, `"\n"`, `"\/"`,
		`"1_0"`, `"0x"`, `"00012"`, `"abc"`}
	genOther = []string{"null", "null", "true", "false", "[]", "{}", `["1"]`, `{"n":1}`, "nul", "[", "{"}
	genTail  = []string{"", "", "", " ", "\n", "]", "}", " ] x", "} {", "x", " {}", ",", "null", " 1"}
)

func (g generator) value() string {
	switch g.r.IntN(3) {
	case 0:
		return g.pick(genInts)
	case 1:
		return g.pick(genStrs)
	}
	return g.pick(genOther)
}

func (g generator) input() []byte {
	var b strings.Builder
	b.WriteString(g.pick(genSpace))
	if g.r.IntN(30) == 0 {
		b.WriteString(g.value())
	} else {
		b.WriteString("{")
		members := g.r.IntN(5)
		for i := 0; i < members; i++ {
			if i > 0 {
				b.WriteString(g.pick(genSpace) + "," + g.pick(genSpace))
			}
			b.WriteString(g.pick(genSpace) + g.pick(genKeys) + g.pick(genSpace) + ":" + g.pick(genSpace))
			if g.r.IntN(2) == 0 {
				b.WriteString(g.pick(genInts)) // mostly "n": number
			} else {
				b.WriteString(g.value())
			}
		}
		b.WriteString(g.pick(genSpace) + "}")
	}
	b.WriteString(g.pick(genTail))
	data := []byte(b.String())
	// Mutate a third of them: replace, insert or delete a byte.
	const alphabet = "{}[]:,\" \\nulx0123456789eE.-+\t\x00\xff"
	for m := g.r.IntN(6) - 3; m > 0 && len(data) > 0; m-- {
		i := g.r.IntN(len(data))
		c := alphabet[g.r.IntN(len(alphabet))]
		switch g.r.IntN(3) {
		case 0:
			data[i] = c
		case 1:
			data = append(data[:i], append([]byte{c}, data[i:]...)...)
		default:
			data = append(data[:i], data[i+1:]...)
		}
	}
	return data
}

func TestDecodeInputJSONGenerated(t *testing.T) {
	g := generator{rand.New(rand.NewPCG(1, 2))}
	n := 200000
	if testing.Short() {
		n = 20000
	}
	accepted := 0
	for i := 0; i < n; i++ {
		if checkSame(t, g.input()) {
			accepted++
		}
	}
	t.Logf("%d generated inputs, %d accepted by encoding/json", n, accepted)
	if accepted < n/20 || accepted > n*19/20 {
		t.Fatalf("%d of %d accepted: the generator misses one side", accepted, n)
	}
}

// TestParseElementDifferential: ParseElement against math/big, on random
// strings over the digits, signs, prefixes and near-misses, and on values
// around the modulus and 2^256.
func TestParseElementDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var cases []string
	mod := toBig(testSpec.Modulus)
	for _, v := range []*big.Int{
		big.NewInt(0), big.NewInt(1), new(big.Int).Sub(mod, big.NewInt(1)), mod, new(big.Int).Add(mod, big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 255), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 256), new(big.Int).Lsh(big.NewInt(1), 300),
	} {
		for _, s := range []string{v.String(), "0x" + v.Text(16), "+" + v.String(), "-" + v.String(), "0x-" + v.Text(16), "000" + v.String()} {
			cases = append(cases, s, strings.ToUpper(s))
		}
	}
	const alphabet = "0123456789abcdefABCDEFgxX+-_ ."
	for i := 0; i < 100000; i++ {
		var b strings.Builder
		if r.IntN(3) == 0 {
			b.WriteString("0x")
		}
		for l := r.IntN(90); l > 0; l-- {
			if r.IntN(40) == 0 {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			} else {
				b.WriteByte(alphabet[r.IntN(16)])
			}
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		want, ok := oracleElement(testSpec, s)
		got, err := testSpec.ParseElement(s)
		if ok != (err == nil) || ok && toBig(got).Cmp(want) != 0 {
			t.Fatalf("ParseElement(%q) = %v, %v; math/big: %v, %v", s, got, err, want, ok)
		}
		if ok && got.String() != want.String() {
			t.Fatalf("Element(%q).String() = %s, want %s", s, got, want)
		}
	}
}

// FuzzDecodeInputJSON: go test -fuzz=FuzzDecodeInputJSON explores further.
func FuzzDecodeInputJSON(f *testing.F) {
	for _, s := range handPicked {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkSame(t, data) })
}
