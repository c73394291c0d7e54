package progio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
)

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitValid},
		{errors.New("bad proof"), ExitInvalid},
		{Malformedf("bad input"), ExitMalformed},
		{fmt.Errorf("wrapped: %w", Malformedf("bad input")), ExitMalformed},
		{HostFailure(errors.New("host down")), ExitHostFailure},
		{fmt.Errorf("wrapped: %w", HostFailure(Malformedf("both"))), ExitHostFailure},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if Malformed(nil) != nil || HostFailure(nil) != nil {
		t.Error("Malformed(nil) or HostFailure(nil) != nil")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 5); err != nil || string(b) != "12345" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if _, err := ReadFile(p, 4); !IsMalformed(err) {
		t.Fatalf("oversized file: %v, want malformed", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 4); !IsMalformed(err) {
		t.Fatalf("missing file: %v, want malformed", err)
	}
}

func TestRunProver(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "proof")
	echo := func(in []string) ([]byte, error) { return []byte(strings.Join(in, ",")), nil }
	if code := progcore.RunProver([]string{"p", "prove", "/in/a", "/in/b"}, out, echo); code != ExitValid {
		t.Fatalf("exit %d", code)
	}
	if b, _ := os.ReadFile(out); string(b) != "/in/a,/in/b" {
		t.Fatalf("proof %q", b)
	}
	if code := progcore.RunProver([]string{"p", "verify", "/in/a"}, out, echo); code != ExitMalformed {
		t.Fatalf("wrong mode: exit %d", code)
	}
	huge := func([]string) ([]byte, error) { return make([]byte, MaxProofSize+1), nil }
	if code := progcore.RunProver([]string{"p", "prove"}, filepath.Join(dir, "huge"), huge); code != ExitInvalid {
		t.Fatalf("oversized proof: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "huge")); err == nil {
		t.Fatal("oversized proof was written")
	}
	boom := func([]string) ([]byte, error) { panic("boom") }
	if code := progcore.RunProver([]string{"p", "prove"}, out, boom); code != ExitInvalid {
		t.Fatalf("panic: exit %d", code)
	}
}

func TestRunVerifier(t *testing.T) {
	dir := t.TempDir()
	proof := filepath.Join(dir, "proof")
	if err := os.WriteFile(proof, []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(in []string, p []byte) error {
		if len(in) != 1 || in[0] != "/in/input" {
			return Malformedf("inputs %q", in)
		}
		if string(p) != "ok" {
			return errors.New("invalid")
		}
		return nil
	}
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"v", "verify", "/in/input", proof}, ExitValid},
		{[]string{"v", "verify", "/in/other", proof}, ExitMalformed},
		{[]string{"v", "prove", "/in/input", proof}, ExitMalformed},
		{[]string{"v", "verify"}, ExitMalformed},
		{[]string{"v", "verify", "/in/input", filepath.Join(dir, "missing")}, ExitInvalid},
	}
	for _, c := range cases {
		if got := progcore.RunVerifier(c.args, check); got != c.want {
			t.Errorf("%q: exit %d, want %d", c.args, got, c.want)
		}
	}
	if err := os.WriteFile(proof, []byte("no"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := progcore.RunVerifier([]string{"v", "verify", "/in/input", proof}, check); got != ExitInvalid {
		t.Errorf("bad proof: exit %d", got)
	}
	boom := func([]string, []byte) error { panic("boom") }
	if got := progcore.RunVerifier([]string{"v", "verify", proof}, boom); got != ExitInvalid {
		t.Errorf("panic: exit %d", got)
	}
}
