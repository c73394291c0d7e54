package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLocalnetErrorsCarryHints covers the localnet commands' refusals,
// none of which starts a process: status and stop of a directory without
// a localnet, a non-empty directory, a taken port, --node on a new one.
func TestLocalnetErrorsCarryHints(t *testing.T) {
	empty := t.TempDir()
	for _, args := range [][]string{
		{"localnet", "status", "--dir", empty},
		{"localnet", "stop", "--dir", empty},
		{"localnet", "--dir", empty, "--node", "node0"},
	} {
		_, stderr, code := provernet(t, args...)
		if code == 0 || !strings.Contains(stderr, "hint:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := provernet(t, "localnet", "--dir", full, "--provers", "0")
	if code == 0 || !strings.Contains(stderr, "holds no localnet") {
		t.Errorf("non-empty dir: exit %d, stderr %q", code, stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := filepath.Join(t.TempDir(), "net")
	_, stderr, code = provernet(t, "localnet", "--dir", dir, "--validators", "1", "--provers", "0", "--base-port", strconv.Itoa(port))
	if code == 0 || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, "--base-port") {
		t.Errorf("taken port: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("a refused localnet left %s behind", dir)
	}
}
