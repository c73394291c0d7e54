package sandbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestStageInputs(t *testing.T) {
	dir := t.TempDir()
	names, err := StageInputs(dir, []File{{Name: "pk.bin", Data: []byte("pk")}, {Name: "input.json", Data: []byte("{}")}}, []byte("the proof"))
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

// TestStageInputsFromPath: a File with a Path stages the file's contents,
// as a hard link when the disk allows it and as a copy when it does not
// (the link refused as across file systems); one file may stage under
// several names, and a Path that is a symbolic link stages the file it
// names, never the link.
func TestStageInputsFromPath(t *testing.T) {
	src := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: more than one copy buffer
	blob := filepath.Join(src, "blob")
	if err := os.WriteFile(blob, big, 0o600); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(src, "sym")
	if err := os.Symlink(blob, sym); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		link func(string, string) error
		same bool // want the staged files to be the blob itself
	}{
		{"link", os.Link, true},
		{"copy", func(o, n string) error {
			return &os.LinkError{Op: "link", Old: o, New: n, Err: errors.New("another file system")}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(l func(string, string) error) { linkFile = l }(linkFile)
			linkFile = tc.link
			dir := t.TempDir()
			files := []File{{Name: "a", Path: blob}, {Name: "inline", Data: []byte("x")}, {Name: "b", Path: blob}, {Name: "c", Path: sym}}
			names, err := StageInputs(dir, files, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"a", "inline", "b", "c"}; !slices.Equal(names, want) {
				t.Fatalf("names = %q, want %q", names, want)
			}
			orig, err := os.Stat(blob)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"a", "b", "c"} {
				p := filepath.Join(dir, n)
				fi, err := os.Lstat(p)
				if err != nil || !fi.Mode().IsRegular() {
					t.Fatalf("%s: %v, %v; want a regular file", n, fi, err)
				}
				if os.SameFile(fi, orig) != tc.same {
					t.Errorf("%s: the same file as the blob: %t, want %t", n, !tc.same, tc.same)
				}
				if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, big) {
					t.Errorf("%s: %d bytes (%v), want the blob's %d", n, len(b), err, len(big))
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, "inline")); err != nil || string(b) != "x" {
				t.Errorf("inline holds %q (%v)", b, err)
			}
		})
	}
}

// TestStageInputsNeverOverwrites: staging into a directory that already
// holds a name fails and leaves the file there alone, so a staged hard
// link is never written through to the file it shares (the blob cache).
func TestStageInputsNeverOverwrites(t *testing.T) {
	src := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(src, []byte("cached"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := StageInputs(dir, []File{{Name: "a", Path: src}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, files := range [][]File{
		{{Name: "a", Data: []byte("overwritten")}},
		{{Name: "x", Data: []byte("new")}, {Name: "a", Path: src}},
	} {
		if _, err := StageInputs(dir, files, nil); !errors.Is(err, os.ErrExist) {
			t.Errorf("staging %q over a staged file: %v, want os.ErrExist", files[len(files)-1].Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("a failed stage left what it staged before failing: %v", err)
	}
	if b, err := os.ReadFile(src); err != nil || string(b) != "cached" {
		t.Errorf("the linked file holds %q (%v), want it unchanged", b, err)
	}
}

func TestStageInputsRefusesWithoutWriting(t *testing.T) {
	src := t.TempDir()
	blob := filepath.Join(src, "blob")
	if err := os.WriteFile(blob, []byte("b"), 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(src, "dangling")
	if err := os.Symlink(filepath.Join(src, "gone"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, files := range [][]File{
		{{Name: "a"}, {Name: "Proof", Data: []byte("forged")}}, // the proof's name, in any case
		{{Name: "a"}, {Name: "A"}},                             // one file on a case-insensitive disk
		{{Name: "a"}, {Name: "../escape"}},                     // not a plain file name
		{{Name: "a"}, {Name: ""}},
		{{Name: "a", Path: blob}, {Name: "b", Path: filepath.Join(src, "missing")}}, // a missing Path
		{{Name: "a", Path: blob}, {Name: "b", Path: dangling}},                      // a link to nothing
		{{Name: "a", Path: blob}, {Name: "b", Path: src}},                           // a directory
		{{Name: "a", Path: blob}, {Name: "b", Path: blob, Data: []byte("b")}},       // both
	} {
		dir := t.TempDir()
		if _, err := StageInputs(dir, files, []byte("real")); err == nil {
			t.Errorf("staged %q (path %q)", files[1].Name, files[1].Path)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("a refused stage of %q (path %q) left %d files", files[1].Name, files[1].Path, len(left))
		}
	}
}
