package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// heavy is what the node binary must not link, and which companion
// carries it instead (docs/RATIONALE.md, "What each binary links").
var heavy = []struct {
	name, prefix string
	in           []string // the companions that link it
	allow        []string // packages under prefix the node may link
}{
	{"gnark and gnark-crypto", "github.com/consensys/gnark", []string{"provernet-sandbox", "provernet-bench"}, nodeGnarkCrypto},
	{"the proof-system host", "github.com/provernet/provernet/internal/zkhost", []string{"provernet-sandbox", "provernet-bench"}, nil},
	{"gonum/plot", "gonum.org/v1/plot", []string{"provernet-bench"}, nil},
	{"the benchmarks", "github.com/provernet/provernet/internal/bench", []string{"provernet-bench"}, nil},
	{"the simulator", "github.com/provernet/provernet/internal/sim", []string{"provernet-bench"}, nil},
}

// nodeGnarkCrypto are the packages of gnark-crypto the node links, and
// the only ones: BN254's arithmetic, pairing, MiMC and Pedersen
// verification, which internal/treepair needs to verify the gnark tree
// pair's node proofs inside a transaction (docs/RATIONALE.md, "What each
// binary links"). gnark itself stays out.
var nodeGnarkCrypto = []string{
	"github.com/consensys/gnark-crypto/ecc",
	"github.com/consensys/gnark-crypto/ecc/bn254",
	"github.com/consensys/gnark-crypto/ecc/bn254/fp",
	"github.com/consensys/gnark-crypto/ecc/bn254/fr",
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc",
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen",
	"github.com/consensys/gnark-crypto/ecc/bn254/hash_to_curve",
	"github.com/consensys/gnark-crypto/ecc/bn254/internal/fptower",
	"github.com/consensys/gnark-crypto/field/asm/element_4w",
	"github.com/consensys/gnark-crypto/field/hash",
	"github.com/consensys/gnark-crypto/field/pool",
	"github.com/consensys/gnark-crypto/hash",
	"github.com/consensys/gnark-crypto/parallel",
	"github.com/consensys/gnark-crypto/utils/cpu",
}

// symbolPackages are the packages under prefix that a symbol names: for
// each place prefix starts in it, the path up to the first dot after its
// last slash (a symbol such as an itab names several types).
func symbolPackages(sym, prefix string) []string {
	var out []string
	for rest := sym; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return out
		}
		s := rest[i:]
		if end := strings.IndexAny(s, ",[]()* ;"); end >= 0 {
			s = s[:end]
		}
		slash := strings.LastIndex(s, "/")
		if dot := strings.Index(s[slash+1:], "."); dot >= 0 {
			s = s[:slash+1+dot]
		}
		out = append(out, s)
		rest = rest[i+len(prefix):]
	}
}

// allowedSymbol reports whether every package under prefix that sym names
// is in allow.
func allowedSymbol(sym, prefix string, allow []string) bool {
	pkgs := symbolPackages(sym, prefix)
	for _, p := range pkgs {
		if !slices.Contains(allow, p) {
			return false
		}
	}
	return len(pkgs) > 0
}

// kvstore is CometBFT's example application. CometBFT's own packages
// import it (proxy for DefaultClientCreator, consensus for its replay
// tool; neither is called by a provernet node, so the linker drops its
// code), so it is in every CometBFT node's import graph; what the node
// must not do is import it any other way.
const (
	kvstore  = "github.com/cometbft/cometbft/abci/example/kvstore"
	cometbft = "github.com/cometbft/cometbft/"
)

// imports is the import graph of a main package: each package it links
// and what that package imports.
func imports(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	g := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		g[f[0]] = f[1:]
	}
	return g
}

// under reports whether the package path or symbol name s is in prefix:
// the package itself, its subpackages, a symbol of one, or, for gnark,
// gnark-crypto's too.
func under(s, prefix string) bool {
	for _, sep := range []string{"/", "-", "."} {
		if strings.Contains(s, prefix+sep) {
			return true
		}
	}
	return s == prefix
}

// matches is the packages of g under prefix.
func matches(g map[string][]string, prefix string) []string {
	var out []string
	for p := range g {
		if under(p, prefix) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// importers is the packages of g that import p.
func importers(g map[string][]string, p string) []string {
	var out []string
	for q, imps := range g {
		if slices.Contains(imps, p) {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

// TestNodeLinksNoHeavyDependency: the provernet binary links none of
// heavy, and reaches kvstore only through CometBFT's own packages; each
// companion links what it is meant to carry (so the ban list names real
// packages and would catch them).
func TestNodeLinksNoHeavyDependency(t *testing.T) {
	node := imports(t, ".")
	for _, h := range heavy {
		got := slices.DeleteFunc(matches(node, h.prefix), func(p string) bool { return slices.Contains(h.allow, p) })
		if len(got) > 0 {
			t.Errorf("provernet links %s (%s, %d in all); it belongs in %s", h.name, got[0], len(got), strings.Join(h.in, " and "))
		}
	}
	for _, p := range importers(node, kvstore) {
		if !strings.HasPrefix(p, cometbft) {
			t.Errorf("in provernet, %s imports %s; only CometBFT's own packages may", p, kvstore)
		}
	}
	for _, c := range []string{"provernet-sandbox", "provernet-bench"} {
		g := imports(t, "../"+c)
		for _, h := range heavy {
			if got := matches(g, h.prefix); (len(got) > 0) != slices.Contains(h.in, c) {
				t.Errorf("%s links %d packages of %s; want it to link them: %t", c, len(got), h.name, slices.Contains(h.in, c))
			}
		}
		if c == "provernet-bench" && !slices.ContainsFunc(importers(g, kvstore), func(p string) bool { return !strings.HasPrefix(p, cometbft) }) {
			t.Errorf("provernet-bench: kvstore imported by %q, all CometBFT's; bench chain's baseline should import it", importers(g, kvstore))
		}
	}
}

// TestNodeBinaryHasNoHeavyCode builds provernet and reads its symbol
// table: no code of heavy, and none of kvstore (whose package is in the
// import graph through CometBFT's proxy, but whose code the linker drops,
// because nothing the node calls reaches it).
func TestNodeBinaryHasNoHeavyCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds provernet")
	}
	bin := filepath.Join(t.TempDir(), "provernet")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	bans := []string{kvstore}
	allowed := map[string][]string{}
	for _, h := range heavy {
		bans = append(bans, h.prefix)
		allowed[h.prefix] = h.allow
	}
	found := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		for _, b := range bans {
			if _, ok := found[b]; !ok && under(f[2], b) && !allowedSymbol(f[2], b, allowed[b]) {
				found[b] = f[2]
			}
		}
	}
	for b, sym := range found {
		t.Errorf("the provernet binary holds code of %s, e.g. %s", b, sym)
	}
}
