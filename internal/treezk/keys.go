package treezk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/provernet/provernet/internal/treepair"
)

// A pair's keys live in one directory, three files per level: NAME.ccs
// (the compiled circuit, gnark's WriteTo), NAME.pk (the proving key,
// WriteRawTo) and NAME.vk (the verifying key, WriteTo: the bytes the
// chain's params name), NAME being "base" for level 0 and "merge-L" for
// merge level L. A merge level also has NAME.child, the SHA-256 of the
// verifying key its circuit holds as a constant, so that keys of a level
// made against another key below are noticed and made again.
//
// The setup is Groth16's, run here with the toxic waste drawn from
// crypto/rand and dropped: whoever runs it could forge proofs if it kept
// the waste. That is a development setup. A production chain runs a
// multi-party ceremony (gnark's groth16/bn254/mpcsetup) over the same
// circuits and puts its verifying keys in the genesis; nothing else
// changes (docs/TREES.md, "Keys").

// LevelName is treepair.LevelName.
func LevelName(level int) string { return treepair.LevelName(level) }

// Level is one level's keys in memory.
type Level struct {
	Level int
	CS    constraint.ConstraintSystem
	PK    groth16.ProvingKey
	VK    groth16.VerifyingKey
	VKRaw []byte // vk as written (gnark's WriteTo)
}

// Setup makes (or keeps, when they are there and consistent) the keys of
// the base level and merge levels 1..levels in dir, reporting progress to
// log. It returns each level's verifying key bytes, base first.
func Setup(dir string, levels int, log io.Writer) ([][]byte, error) {
	if levels < 1 {
		return nil, fmt.Errorf("levels %d: at least one merge level", levels)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var vks [][]byte
	var child groth16.VerifyingKey
	for level := 0; level <= levels; level++ {
		vk, raw, err := setupLevel(dir, level, child, vks, log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", LevelName(level), err)
		}
		vks, child = append(vks, raw), vk
	}
	return vks, nil
}

// setupLevel keeps level's keys if their verifying key is there and was
// made over the key below (below[level-1]); otherwise it compiles, runs
// the setup and writes them.
func setupLevel(dir string, level int, child groth16.VerifyingKey, below [][]byte, log io.Writer) (groth16.VerifyingKey, []byte, error) {
	name := filepath.Join(dir, LevelName(level))
	var childSum string
	if level > 0 {
		s := sha256.Sum256(below[level-1])
		childSum = hex.EncodeToString(s[:])
	}
	if vk, raw, err := readVK(name + ".vk"); err == nil && (level == 0 || readTrim(name+".child") == childSum) {
		fmt.Fprintf(log, "%s: keys in %s kept\n", LevelName(level), dir)
		return vk, raw, nil
	}
	start := time.Now()
	cs, err := Compile(level, child)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "%s: %d constraints, compiled in %s\n", LevelName(level), cs.GetNbConstraints(), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, nil, fmt.Errorf("setup: %w", err)
	}
	fmt.Fprintf(log, "%s: setup in %s\n", LevelName(level), time.Since(start).Round(time.Millisecond))
	var raw bytes.Buffer
	if _, err := vk.WriteTo(&raw); err != nil {
		return nil, nil, err
	}
	// The verifying key last: its presence says the level is complete.
	_ = os.Remove(name + ".vk")
	steps := []struct {
		path  string
		write func(io.Writer) (int64, error)
	}{
		{name + ".ccs", cs.WriteTo},
		{name + ".pk", pk.WriteRawTo},
		{name + ".child", func(w io.Writer) (int64, error) { n, err := io.WriteString(w, childSum+"\n"); return int64(n), err }},
		{name + ".vk", func(w io.Writer) (int64, error) { n, err := w.Write(raw.Bytes()); return int64(n), err }},
	}
	for _, s := range steps {
		if err := writeFile(s.path, s.write); err != nil {
			return nil, nil, err
		}
	}
	return vk, raw.Bytes(), nil
}

// Compile compiles level's circuit; child is the verifying key of the
// level below (unused for the base).
func Compile(level int, child groth16.VerifyingKey) (constraint.ConstraintSystem, error) {
	var c frontend.Circuit = &BaseCircuit{}
	if level > 0 {
		m, err := NewMergeCircuit(child)
		if err != nil {
			return nil, err
		}
		c = m
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return cs, nil
}

// LoadLevel reads level's keys from dir. want, if not nil, is the
// verifying key the chain names for the level: keys of another setup are
// refused (their proofs would not verify).
func LoadLevel(dir string, level int, want []byte) (*Level, error) {
	name := filepath.Join(dir, LevelName(level))
	vk, raw, err := readVK(name + ".vk")
	if err != nil {
		return nil, err
	}
	if want != nil && !bytes.Equal(raw, want) {
		return nil, fmt.Errorf("%s.vk is not the verifying key this chain names for level %d: keys of another setup", name, level)
	}
	cs := groth16.NewCS(ecc.BN254)
	if err := readFile(name+".ccs", cs.ReadFrom); err != nil {
		return nil, err
	}
	pk := groth16.NewProvingKey(ecc.BN254)
	if err := readFile(name+".pk", pk.UnsafeReadFrom); err != nil {
		return nil, err
	}
	return &Level{Level: level, CS: cs, PK: pk, VK: vk, VKRaw: raw}, nil
}

func readVK(path string) (groth16.VerifyingKey, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	vk := groth16.NewVerifyingKey(ecc.BN254)
	if _, err := vk.ReadFrom(bytes.NewReader(raw)); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return vk, raw, nil
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func readFile(path string, read func(io.Reader) (int64, error)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := read(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeFile writes path through a temporary file and a rename.
func writeFile(path string, write func(io.Writer) (int64, error)) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = write(w)
	err = errors.Join(err, w.Flush(), f.Close())
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
