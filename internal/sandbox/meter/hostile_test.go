package meter

import "testing"

// Hostile modules end by running out of cycles (or hitting a wazero
// limit), never by running on.
func TestHostile(t *testing.T) {
	const budget = 10_000_000
	bomb := one(3, nil, loop(blockEmpty), i32c(1), memGrow, drop, br(0), end, end)
	bomb.memory, bomb.exportMem = []uint32{1}, true
	bigGrow := one(3, nil, i32c(65536), memGrow, drop, end)
	bigGrow.memory, bigGrow.exportMem = []uint32{1}, true
	fillBomb := one(3, nil, loop(blockEmpty), i32c(0), i32c(0), i32c(65536), memFill, br(0), end, end)
	fillBomb.memory, fillBomb.exportMem = []uint32{1}, true
	for _, c := range []struct {
		name     string
		mod      *wmod
		budget   int64
		outOfGas bool   // must end by exhaustion (else: any trap)
		maxPages uint32 // 0: no memory
	}{
		{"loop", one(3, nil, loop(blockEmpty), br(0), end, end), budget, true, 0},
		{"br_if loop", one(3, nil, loop(blockEmpty), i32c(1), brIf(0), end, end), budget, true, 0},
		{"br_table loop", one(3, nil, loop(blockEmpty), i32c(7), brTable(0), end, end), budget, true, 0},
		{"memory bomb", bomb, budget, true, testMemPages},
		{"big grow", bigGrow, budget, true, 1}, // charged before the grow: memory untouched
		{"fill bomb", fillBomb, budget, true, 1},
		{"recursion", one(3, nil, call(0), end), 1 << 40, false, 0},
		{"recursion/small budget", one(3, nil, call(0), end), 1000, true, 0},
	} {
		for _, eng := range engines {
			o := run(t, eng, c.mod.bytes(), Options{}, c.budget, "run")
			if o.err == nil {
				t.Errorf("%s/%s: ended without a trap", c.name, eng.name)
			}
			if c.outOfGas && o.remaining >= 0 {
				t.Errorf("%s/%s: %v with %d cycles left; want exhaustion", c.name, eng.name, o.err, o.remaining)
			}
			if o.memPages > c.maxPages {
				t.Errorf("%s/%s: memory grew to %d pages, cap %d", c.name, eng.name, o.memPages, c.maxPages)
			}
		}
	}
}
