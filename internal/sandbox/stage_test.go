package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestStageInputs(t *testing.T) {
	dir := t.TempDir()
	names, err := StageInputs(dir, []File{{"pk.bin", []byte("pk")}, {"input.json", []byte("{}")}}, []byte("the proof"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pk.bin", "input.json", "proof"}; !slices.Equal(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	for name, want := range map[string]string{"pk.bin": "pk", "input.json": "{}", "proof": "the proof"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s holds %q (%v), want %q", name, b, err, want)
		}
	}
}

func TestStageInputsRefusesWithoutWriting(t *testing.T) {
	for _, files := range [][]File{
		{{"a", nil}, {"Proof", []byte("forged")}}, // the proof's name, in any case
		{{"a", nil}, {"A", nil}},                  // one file on a case-insensitive disk
		{{"a", nil}, {"../escape", nil}},          // not a plain file name
		{{"a", nil}, {"", nil}},
	} {
		dir := t.TempDir()
		if _, err := StageInputs(dir, files, []byte("real")); err == nil {
			t.Errorf("staged %q", files[1].Name)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("a refused stage of %q left %d files", files[1].Name, len(left))
		}
	}
}
