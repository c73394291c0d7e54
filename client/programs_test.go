package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestResolveProgram: a program is found by id or unique name; an unknown
// one is an *UnknownProgramError (matching ErrNotFound) listing the
// deployed names; a shared name is an *AmbiguousNameError.
func TestResolveProgram(t *testing.T) {
	n := newTestNode(t)
	ps := testPrograms(3)
	ps = append(ps, wire.Program{ID: strings.Repeat("ee", 32), Name: "p1"})
	var queries []string
	servePrograms(n, ps, &queries)
	n.json("/v1/programs/"+ps[2].ID, ps[2])
	c := n.client()
	ctx := context.Background()

	if p, err := c.ResolveProgram(ctx, strings.ToUpper(ps[2].ID)); err != nil || p.Name != "p2" {
		t.Fatalf("by id: %+v %v", p, err)
	}
	if p, err := c.ResolveProgram(ctx, "p0"); err != nil || p.ID != ps[0].ID {
		t.Fatalf("by name: %+v %v", p, err)
	}
	_, err := c.ResolveProgram(ctx, "nosuch")
	var unknown *UnknownProgramError
	if !errors.As(err, &unknown) || !errors.Is(err, ErrNotFound) || unknown.ByID ||
		strings.Join(unknown.Deployed, ",") != "p0,p1,p2" || !strings.Contains(err.Error(), `no program named "nosuch"`) {
		t.Fatalf("unknown name: %v", err)
	}
	_, err = c.ResolveProgram(ctx, strings.Repeat("0f", 32))
	if !errors.As(err, &unknown) || !unknown.ByID || !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	_, err = c.ResolveProgram(ctx, "p1")
	var ambiguous *AmbiguousNameError
	if !errors.As(err, &ambiguous) || len(ambiguous.IDs) != 2 || errors.Is(err, ErrNotFound) {
		t.Fatalf("shared name: %v", err)
	}
}
