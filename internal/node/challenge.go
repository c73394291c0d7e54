package node

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/internal/blob"
	"github.com/provernet/provernet/internal/protocol"
)

// ChallengeProgramName is the name the genesis gives the benchmark program.
const ChallengeProgramName = "bench"

// challengeModules are the built benchmark program's modules, read from a
// directory holding prover.wasm and verifier.wasm (`make programs` writes
// build/programs/bench).
type challengeModules struct {
	prover, verifier []byte
}

func readChallengeModules(dir string) (*challengeModules, error) {
	var m challengeModules
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"prover.wasm", &m.prover}, {"verifier.wasm", &m.verifier}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return nil, fmt.Errorf("failed to read the challenge program: %w", err)
		}
		*f.dst = b
	}
	return &m, nil
}

// program is the genesis entry for the modules, which the challenges run
// (min_hardware: what a Run of the benchmark's sample needs).
func (m *challengeModules) program() protocol.GenesisProgram {
	mod := func(b []byte) *protocol.GenesisModule {
		sum := sha256.Sum256(b)
		return &protocol.GenesisModule{SHA256: sum[:], Size: uint64(len(b))}
	}
	return protocol.GenesisProgram{Name: ChallengeProgramName, Prover: mod(m.prover), Verifier: mod(m.verifier),
		MinHardware: &protocol.GenesisHardware{CPUCores: 1, MemoryMB: 1024}}
}

// withChallenges adds the benchmark program read from dir to a genesis and
// names it params.challenge_program, so that admission and random
// challenges run from block 1.
func withChallenges(app *protocol.Genesis, dir string) (*challengeModules, error) {
	m, err := readChallengeModules(dir)
	if err != nil {
		return nil, err
	}
	prog := m.program()
	app.Programs = append(app.Programs, prog)
	app.Params.ChallengeProgram = hex.EncodeToString(prog.ID())
	return m, nil
}

// install puts the modules into a home's blob store, where its node serves
// them to provers and peers (other nodes fetch them from their peers).
func (m *challengeModules) install(home string, maxSize int64) error {
	s, err := blob.Open(BlobDir(home), maxSize)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{m.prover, m.verifier} {
		if _, err := s.PutExpect(bytes.NewReader(b), blob.Sum(b)); err != nil {
			return fmt.Errorf("failed to store the challenge program in %s: %w", BlobDir(home), err)
		}
	}
	return nil
}
