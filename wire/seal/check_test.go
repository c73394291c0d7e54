package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

func TestCheckFileAccepts(t *testing.T) {
	temp := mustIdentity(t)
	for name, user := range map[string]string{
		"challenge": "",
		"x25519":    mustIdentity(t).Recipient().String(),
		"hybrid":    mustHybrid(t).Recipient().String(),
	} {
		file := mustSeal(t, testHeader(), testProof(500), user, temp)
		if err := CheckFile(file, len(file)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckFileRejects(t *testing.T) {
	temp := mustIdentity(t)
	x1, x2 := mustIdentity(t).Recipient(), mustIdentity(t).Recipient()
	sealed := mustSeal(t, testHeader(), testProof(500), x1.String(), temp)
	pt := append(testHeader().Marshal(), testProof(500)...)
	scrypt, err := age.NewScryptRecipient("password")
	if err != nil {
		t.Fatal(err)
	}
	scrypt.SetWorkFactor(10)

	cases := map[string]struct {
		file []byte
		want string
	}{
		"oversize":     {sealed, "over the limit"},
		"armored":      {armored(t, sealed), "armored"},
		"empty":        {nil, "not an age v1 file"},
		"garbage":      {[]byte("hello, world\n"), "not an age v1 file"},
		"intro only":   {[]byte("age-encryption.org/v1\n"), ""},
		"no MAC":       {sealed[:bytes.Index(sealed, []byte("\n---"))+1], ""},
		"3 stanzas":    {encryptTo(t, pt, x1, x2, temp.Recipient()), "3 recipient stanzas"},
		"scrypt":       {encryptTo(t, pt, scrypt), "unsupported stanza type"},
		"hybrid only":  {encryptTo(t, pt, mustHybrid(t).Recipient()), "no X25519 stanza"},
		"no header":    {encryptTo(t, pt[:HeaderSize-1], temp.Recipient()), "shorter than"},
		"empty text":   {encryptTo(t, nil, temp.Recipient()), "shorter than"},
		"header only":  {sealed[:headerEnd(sealed)], "not a valid age stream"},
		"cut payload":  {sealed[:headerEnd(sealed)+nonceSize+10], "not a valid age stream"},
		"bad stanza":   {respell(sealed, "-> X25519 ", "-> X25520 "), "unsupported stanza type"},
		"extra arg":    {respellLine(sealed, "-> X25519 ", " extra"), "2 arguments"},
		"short arg":    {respellArg(sealed), "argument"},
		"version 2":    {respell(sealed, "age-encryption.org/v1", "age-encryption.org/v2"), ""},
		"CRLF intro":   {respell(sealed, "org/v1\n", "org/v1\r\n"), ""},
		"header junk":  {respell(sealed, "\n---", "\n -- junk\n---"), ""},
		"lowercase id": {respell(sealed, "X25519", "x25519"), "unsupported stanza type"},
	}
	for name, c := range cases {
		limit := len(c.file)
		if name == "oversize" {
			limit--
		}
		err := CheckFile(c.file, limit)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.want)
		}
		// Open refuses what CheckFile refuses (but for the size limit).
		if name != "oversize" {
			if _, _, err := Open(c.file, temp.String(), testMaxProof); err == nil {
				t.Errorf("%s: Open accepted what CheckFile refused", name)
			}
		}
	}
	if err := CheckFile(sealed, -1); err == nil {
		t.Error("negative limit accepted")
	}
}

// TestCheckFileShortErrors: age quotes bad lines; a rejection reason stays
// short however long the line is.
func TestCheckFileShortErrors(t *testing.T) {
	file := []byte("age-encryption.org/v1\n-> " + strings.Repeat("A", 100_000) + " \n")
	err := CheckFile(file, len(file))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("err = %.400v (%d bytes)", err, len(errText(err)))
	}
}

// headerEnd is the length of a file's age header.
func headerEnd(file []byte) int {
	i := bytes.Index(file, []byte("\n---"))
	return i + 1 + bytes.IndexByte(file[i+1:], '\n') + 1
}

func armored(t *testing.T, file []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	if err := writeAll(w, file); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// respell replaces the first old with new in file.
func respell(file []byte, old, new string) []byte {
	return bytes.Replace(bytes.Clone(file), []byte(old), []byte(new), 1)
}

// respellLine appends suffix to the first line starting with prefix.
func respellLine(file []byte, prefix, suffix string) []byte {
	i := bytes.Index(file, []byte(prefix))
	j := i + bytes.IndexByte(file[i:], '\n')
	return append(append(append([]byte{}, file[:j]...), suffix...), file[j:]...)
}

// respellArg drops the last base64 character of the first X25519 argument.
func respellArg(file []byte) []byte {
	i := bytes.Index(file, []byte("-> X25519 "))
	j := i + bytes.IndexByte(file[i:], '\n')
	return append(append([]byte{}, file[:j-1]...), file[j:]...)
}

func TestStreamPlaintext(t *testing.T) {
	for e, want := range map[int]int{
		15: -1, 16: 0, 17: 1,
		chunkSize + tagSize:       chunkSize,
		chunkSize + 2*tagSize:     -1, // an empty last chunk after a full one
		chunkSize + 2*tagSize + 1: chunkSize + 1,
	} {
		p, ok := streamPlaintext(e)
		if want < 0 {
			if ok {
				t.Errorf("streamPlaintext(%d) = %d, ok", e, p)
			}
			continue
		}
		if !ok || p != want {
			t.Errorf("streamPlaintext(%d) = %d, %v; want %d", e, p, ok, want)
		}
	}
}
