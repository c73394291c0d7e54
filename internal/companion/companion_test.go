package companion

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindPrefersTheEnvironment(t *testing.T) {
	t.Setenv("PROVERNET_TEST_COMPANION", "/some/where/bin")
	p, err := Find("provernet-no-such-companion", "PROVERNET_TEST_COMPANION")
	if err != nil || p != "/some/where/bin" {
		t.Fatalf("Find = %q, %v; want the environment's path", p, err)
	}
}

func TestFindLooksOnPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "provernet-test-companion")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("PROVERNET_TEST_COMPANION", "")
	p, err := Find("provernet-test-companion", "PROVERNET_TEST_COMPANION")
	if err != nil || p != exe {
		t.Fatalf("Find = %q, %v; want %q", p, err, exe)
	}
}

func TestFindOrBuildOutsideASourceTreeFails(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("PATH", t.TempDir())
	t.Setenv("PROVERNET_TEST_COMPANION", "")
	_, err := FindOrBuild("provernet-no-such-companion", "PROVERNET_TEST_COMPANION", nil)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v; want ErrNotFound", err)
	}
}

func TestSourceRootIsFoundFromASubdirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("// provernet\nmodule "+Module+"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	got, ok := sourceRoot()
	want, _ := filepath.EvalSymlinks(root)
	if gotReal, _ := filepath.EvalSymlinks(got); !ok || gotReal != want {
		t.Fatalf("sourceRoot = %q, %v; want %q", got, ok, root)
	}
}

func TestAnotherModuleIsNotASourceTree(t *testing.T) {
	for _, mod := range []string{"module example.com/other\n", "module " + Module + "/sub\n", "go 1.26\n", ""} {
		path := filepath.Join(t.TempDir(), "go.mod")
		if err := os.WriteFile(path, []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
		if declaresModule(path) {
			t.Errorf("declaresModule(%q) = true", mod)
		}
	}
}
