package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/wire"
)

// File is one input of a job: the name it is mounted under in /in and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// StageInputs writes a job's input files into dir (a Job's InDir) and
// returns their names for Job.Inputs, in order. A verifier's job passes its
// proof, which is written under wire.ProofInput and named last; a prover's
// job passes nil.
//
// Every caller that runs a program (the prover daemon, `provernet run`'s
// local check, `provernet program prove|verify`) stages through here, so
// the rules hold alike: each name passes wire.CheckInputName (a plain file
// name, never the proof's), and no two names differ only in case. Nothing
// is written when a name is refused.
func StageInputs(dir string, files []File, proof []byte) ([]string, error) {
	names := make([]string, 0, len(files)+1)
	for i, f := range files {
		if err := wire.CheckInputName(f.Name); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		for _, prev := range names {
			if wire.SameInputName(prev, f.Name) {
				return nil, fmt.Errorf("input %d: %q and %q would be the same file", i, prev, f.Name)
			}
		}
		names = append(names, f.Name)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
			return nil, fmt.Errorf("failed to stage input %s: %w", f.Name, err)
		}
	}
	if proof != nil {
		if err := os.WriteFile(filepath.Join(dir, wire.ProofInput), proof, 0o600); err != nil {
			return nil, fmt.Errorf("failed to stage the proof: %w", err)
		}
		names = append(names, wire.ProofInput)
	}
	return names, nil
}
