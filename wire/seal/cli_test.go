package seal

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ageCLI returns the path of the stock age command-line tool, or skips.
func ageCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("age")
	if err != nil {
		// CI installs age (.ci/run): there, a missing tool is a failure,
		// not a reason to leave the stock-tool requirement untested.
		if os.Getenv("CI") != "" {
			t.Fatal("the age command-line tool is not on PATH: .ci/run installs the Debian package age")
		}
		t.Skip("the age command-line tool is not on PATH: install the Debian package age (apt-get install -y age)")
	}
	return path
}

// cliDecrypt runs `age -d -i idfile sealed` and returns its output.
func cliDecrypt(t *testing.T, age string, file []byte, identity string) ([]byte, error) {
	t.Helper()
	dir := t.TempDir()
	idFile, sealed := filepath.Join(dir, "identity"), filepath.Join(dir, "sealed")
	if err := os.WriteFile(idFile, []byte(identity+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sealed, file, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(age, "-d", "-i", idFile, sealed)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Logf("age -d: %v: %s", err, stderr.String())
		return nil, err
	}
	return stdout.Bytes(), nil
}

// cliSupportsHybrid reports whether the age tool is v1.3 or later, the first
// with post-quantum hybrid keys (Debian bookworm ships 1.1.1).
func cliSupportsHybrid(t *testing.T, age string) bool {
	out, err := exec.Command(age, "--version").Output()
	if err != nil {
		return false
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (major > 1 || major == 1 && minor >= 3)
}

// TestCLIOpens: a user with the stock age tool and their identity file opens
// a sealed result to header || proof, and so does anyone holding the
// revealed temporary identity.
func TestCLIOpens(t *testing.T) {
	age := ageCLI(t)
	user, temp := mustIdentity(t), mustIdentity(t)
	h, proof := testHeader(), testProof(100_000)
	want := append(h.Marshal(), proof...)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	for name, id := range map[string]string{"user": user.String(), "temporary": temp.String()} {
		got, err := cliDecrypt(t, age, file, id)
		if err != nil {
			t.Fatalf("%s identity: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s identity: age printed %d bytes, want header||proof (%d bytes)", name, len(got), len(want))
		}
	}
	if _, err := cliDecrypt(t, age, file, mustIdentity(t).String()); err == nil {
		t.Fatal("age opened the file with an unrelated identity")
	}
}

func TestCLIOpensChallenge(t *testing.T) {
	age := ageCLI(t)
	temp := mustIdentity(t)
	h := testHeader()
	got, err := cliDecrypt(t, age, mustSeal(t, h, []byte("proof"), "", temp), temp.String())
	if err != nil || !bytes.Equal(got, append(h.Marshal(), "proof"...)) {
		t.Fatalf("age printed %q, %v", got, err)
	}
}

// TestCLIOpensHybrid: a file sealed to a post-quantum user opens with the
// temporary identity in any age tool, and with the user's identity in one
// that knows hybrid keys.
func TestCLIOpensHybrid(t *testing.T) {
	age := ageCLI(t)
	user, temp := mustHybrid(t), mustIdentity(t)
	h, proof := testHeader(), testProof(1000)
	want := append(h.Marshal(), proof...)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	got, err := cliDecrypt(t, age, file, temp.String())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("temporary identity: %d bytes, %v", len(got), err)
	}
	if !cliSupportsHybrid(t, age) {
		t.Log("age tool predates v1.3: not trying the hybrid user identity")
		return
	}
	got, err = cliDecrypt(t, age, file, user.String())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("user identity: %d bytes, %v", len(got), err)
	}
}
