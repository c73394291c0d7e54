package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/wire"
)

// File is one input of a job: the name it is mounted under in /in and its
// contents, either in memory (Data) or in a file on disk (Path), never
// both. A big input should come as a Path: it is staged without ever
// being held in memory whole (a Run may name one large blob under every
// one of its input names).
type File struct {
	Name string
	Data []byte
	// Path is a file holding the contents. It may be hard-linked into the
	// staging directory, sharing its contents with the staged file: the
	// caller replaces such a file by rename, never by writing it in place
	// (the blob cache does), and nothing writes a staged file (/in is
	// read-only to the program).
	Path string
}

// StageInputs writes a job's input files into dir (a Job's InDir) and
// returns their names for Job.Inputs, in order. A verifier's job passes its
// proof, which is written under wire.ProofInput and named last; a prover's
// job passes nil.
//
// Every caller that runs a program (the prover daemon, `provernet run`'s
// local check, `provernet program prove|verify`) stages through here, so
// the rules hold alike: each name passes wire.CheckInputName (a plain file
// name, never the proof's), and no two names differ only in case.
//
// A File with a Path is hard-linked into dir when the disk allows it (same
// file system), else copied through a small buffer; a Path that is a
// symbolic link stages the file it names. Every name is checked, and every
// Path found to be a regular file, before anything is written: nothing is
// written when a name or a Path is refused. dir must not hold any of the
// names already (each is created afresh, so a staged file linked to a
// Path is never written through). When staging fails midway, what was
// staged is removed.
func StageInputs(dir string, files []File, proof []byte) ([]string, error) {
	names, srcs, err := checkInputs(files)
	if err != nil {
		return nil, err
	}
	var staged []string
	undo := func() {
		for _, p := range staged {
			os.Remove(p)
		}
	}
	for i, f := range files {
		dst := filepath.Join(dir, f.Name)
		if srcs[i] != "" {
			err = stageFile(dst, srcs[i])
		} else {
			err = writeNew(dst, f.Data)
		}
		if err != nil {
			undo()
			return nil, fmt.Errorf("failed to stage input %s: %w", f.Name, err)
		}
		staged = append(staged, dst)
	}
	if proof != nil {
		if err := writeNew(filepath.Join(dir, wire.ProofInput), proof); err != nil {
			undo()
			return nil, fmt.Errorf("failed to stage the proof: %w", err)
		}
		names = append(names, wire.ProofInput)
	}
	return names, nil
}

// checkInputs checks every file's name and source before anything is
// written; it returns the names, in order, and for each File with a Path
// the regular file it names (symbolic links resolved).
func checkInputs(files []File) ([]string, []string, error) {
	names := make([]string, 0, len(files)+1)
	srcs := make([]string, len(files))
	for i, f := range files {
		if err := wire.CheckInputName(f.Name); err != nil {
			return nil, nil, fmt.Errorf("input %d: %w", i, err)
		}
		for _, prev := range names {
			if wire.SameInputName(prev, f.Name) {
				return nil, nil, fmt.Errorf("input %d: %q and %q would be the same file", i, prev, f.Name)
			}
		}
		names = append(names, f.Name)
		if f.Path == "" {
			continue
		}
		if f.Data != nil {
			return nil, nil, fmt.Errorf("input %s: both data and a path", f.Name)
		}
		src, err := regularFile(f.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("input %s: %w", f.Name, err)
		}
		srcs[i] = src
	}
	return names, srcs, nil
}

// regularFile resolves path's symbolic links and checks that what it
// names is a regular file: a link to a link, or to a directory, must not
// be staged as such.
func regularFile(path string) (string, error) {
	src, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("failed to find the input's file: %w", err)
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return "", fmt.Errorf("failed to find the input's file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	return src, nil
}

// linkFile is os.Link; tests replace it to take the copying path.
var linkFile = os.Link

// stageFile makes dst a hard link to the regular file src, or, when the
// disk refuses the link (another file system, no links), a copy of it
// streamed through a small buffer.
func stageFile(dst, src string) error {
	linkErr := linkFile(src, dst)
	if linkErr == nil {
		return nil
	}
	if errors.Is(linkErr, os.ErrExist) {
		return linkErr // never copy over what is there: it may be a link to another input's file
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// writeNew writes data to dst, which must not exist yet: an existing file
// might be a link to a Path that must not change.
func writeNew(dst string, data []byte) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(dst)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}
