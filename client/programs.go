package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/provernet/provernet/wire"
)

// UnknownProgramError is a program reference (a name or an id) that names
// no deployed program. It matches ErrNotFound.
type UnknownProgramError struct {
	Ref      string
	ByID     bool     // Ref is a program id
	Deployed []string // the deployed programs' names, sorted (by name only)
}

func (e *UnknownProgramError) Error() string {
	if e.ByID {
		return fmt.Sprintf("no program with id %s is deployed", e.Ref)
	}
	if len(e.Deployed) == 0 {
		return fmt.Sprintf("no program named %q (none is deployed)", e.Ref)
	}
	return fmt.Sprintf("no program named %q (deployed: %s)", e.Ref, strings.Join(e.Deployed, ", "))
}

// Is makes an UnknownProgramError match ErrNotFound.
func (e *UnknownProgramError) Is(target error) bool { return target == ErrNotFound }

// AmbiguousNameError is a program name that several deployed programs
// share (names are not unique; ids are).
type AmbiguousNameError struct {
	Name string
	IDs  []string
}

func (e *AmbiguousNameError) Error() string {
	return fmt.Sprintf("%d programs are named %q: %s", len(e.IDs), e.Name, strings.Join(e.IDs, ", "))
}

// ResolveProgram finds a deployed program by its id (64 hex digits) or its
// name: an *UnknownProgramError if none, an *AmbiguousNameError if the name
// is several programs'.
func (c *Client) ResolveProgram(ctx context.Context, ref string) (*wire.Program, error) {
	if b, err := hex.DecodeString(ref); err == nil && len(b) == 32 {
		p, err := c.Program(ctx, strings.ToLower(ref))
		if errors.Is(err, ErrNotFound) {
			return nil, &UnknownProgramError{Ref: ref, ByID: true}
		}
		return p, err
	}
	ps, err := c.Programs(ctx)
	if err != nil {
		return nil, err
	}
	var match []wire.Program
	var names []string
	for _, p := range ps {
		if p.Name == ref {
			match = append(match, p)
		}
		if p.Name != "" && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	switch len(match) {
	case 0:
		slices.Sort(names)
		return nil, &UnknownProgramError{Ref: ref, Deployed: names}
	case 1:
		return &match[0], nil
	}
	e := &AmbiguousNameError{Name: ref}
	for _, p := range match {
		e.IDs = append(e.IDs, p.ID)
	}
	return nil, e
}
