//go:build treemeasure

package treezk

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The measurements behind docs/TREES.md, "The gnark pair" (go test -tags
// treemeasure -run TestMeasure ./internal/treezk; GOMAXPROCS=2 for the
// figures there). KEYS=DIR reuses (or makes) the keys there; RUNS=N
// merge proofs; COMPILEONLY=1 only compiles level 1 (level 2 with KEYS,
// over the level 1 key there). Peak memory
// is the process's (getrusage), so run one measurement per process.

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss >> 10 // MiB
}

func logf(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }

func TestMeasure(t *testing.T) {
	k := keys(t)
	logf("base: %d constraints", k.CS.GetNbConstraints())
	if os.Getenv("COMPILEONLY") != "" {
		level, child := 1, k.VK
		if dir := os.Getenv("KEYS"); dir != "" { // level 2, over the level 1 key kept there
			l1, err := LoadLevel(dir, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			level, child = 2, l1.VK
		}
		t0, c0 := time.Now(), cpu()
		cs, err := Compile(level, child)
		if err != nil {
			t.Fatal(err)
		}
		logf("merge level %d: %d constraints, %d internal wires, compiled in %v (cpu %v), peak %d MiB", level,
			cs.GetNbConstraints(), cs.GetNbInternalVariables(), time.Since(t0), cpu()-c0, maxRSS())
		return
	}
	dir := os.Getenv("KEYS")
	if dir == "" {
		dir = t.TempDir()
	}
	t0, c0 := time.Now(), cpu()
	if _, err := Setup(dir, 1, os.Stderr); err != nil {
		t.Fatal(err)
	}
	logf("keys (compile and setup, or kept): %v (cpu %v), peak %d MiB", time.Since(t0), cpu()-c0, maxRSS())
	base, err := LoadLevel(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0, c0 = time.Now(), cpu()
	merge, err := LoadLevel(dir, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	logf("merge level 1: %d constraints; keys loaded in %v (cpu %v)", merge.CS.GetNbConstraints(), time.Since(t0), cpu()-c0)
	child := func(node uint32, in string) Child {
		p, o, err := ProveBase(base, alice, tree, node, sum(in+" a"), sum(in+" b"))
		if err != nil {
			t.Fatal(err)
		}
		return Child{Proof: p, Outputs: o}
	}
	left, right := child(2, "left"), child(3, "right")
	runs, _ := strconv.Atoi(os.Getenv("RUNS"))
	for i := range max(runs, 1) {
		runtime.GC()
		t0, c0 = time.Now(), cpu()
		proof, _, err := ProveMerge(merge, base.VKRaw, bob, tree, 1, left, right)
		if err != nil {
			t.Fatal(err)
		}
		logf("merge proof %d: %d bytes in %v (cpu %v), peak %d MiB", i, len(proof), time.Since(t0), cpu()-c0, maxRSS())
	}
}
