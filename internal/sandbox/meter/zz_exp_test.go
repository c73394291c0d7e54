package meter

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// rec(n): if n == 0 return 0; K live values; rec(n-1); sum.
func recK(k int, locals int) []byte {
	var body [][]byte
	body = append(body, lget(0), i32Eqz, ifOp(blockEmpty), i32c(0), ret, end)
	for i := 0; i < k; i++ {
		body = append(body, lget(0), i32c(int32(i)), i32Add)
	}
	body = append(body, lget(0), i32c(1), i32Sub, call(0))
	for i := 0; i < k; i++ {
		body = append(body, i32Add)
	}
	body = append(body, end)
	ls := make([]byte, locals)
	for i := range ls {
		ls[i] = i64
	}
	m := &wmod{types: testTypes, funcs: []wfunc{{typ: 1, locals: ls, body: cat(body...), export: "run"}}}
	return m.bytes()
}

func maxDepth(t *testing.T, wasm []byte) int {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	f := mod.ExportedFunction("run")
	lo, hi := 1, 1<<24
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, err := f.Call(ctx, uint64(mid)); err == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func TestExpDepth(t *testing.T) {
	for _, c := range []struct{ k, l int }{{0, 0}, {0, 1000}, {0, 50000}, {10, 0}, {100, 0}, {1000, 0}, {10000, 0}} {
		d := maxDepth(t, recK(c.k, c.l))
		t.Logf("K=%d locals=%d: max depth %d, ~%d bytes/frame (84MB)", c.k, c.l, d, 83886080/d)
	}
}

// rec(n) with K sequential defs of local 1, each live across a call of a
// trivial function (func 1).
func seqK(k int) []byte {
	var body [][]byte
	body = append(body, lget(0), i32Eqz, ifOp(blockEmpty), i32c(0), ret, end)
	for i := 0; i < k; i++ {
		body = append(body, lget(1), i32c(int32(i)), i32Add, lset(1), call(1))
	}
	body = append(body, lget(0), i32c(1), i32Sub, call(0), lget(1), i32Add, end)
	m := &wmod{types: testTypes, funcs: []wfunc{
		{typ: 1, locals: []byte{i32}, body: cat(body...), export: "run"},
		{typ: 3, body: cat(end)},
	}}
	return m.bytes()
}

// rec(n): L locals, n nested ifs; innermost sets every local; each merge
// then has L phis.
func phiK(l, n int) []byte {
	var body [][]byte
	body = append(body, lget(0), i32Eqz, ifOp(blockEmpty), i32c(0), ret, end)
	for i := 0; i < n; i++ {
		body = append(body, lget(0), ifOp(blockEmpty))
	}
	for j := 0; j < l; j++ {
		body = append(body, lget(0), i32c(int32(j)), i32Add, lset(uint32(1+j)))
	}
	for i := 0; i < n; i++ {
		body = append(body, end)
		// keep values distinct per level: a use to stop elimination
		for j := 0; j < l; j++ {
			_ = j
		}
		body = append(body, call(1))
	}
	body = append(body, lget(0), i32c(1), i32Sub, call(0))
	for j := 0; j < l; j++ {
		body = append(body, lget(uint32(1+j)), i32Add)
	}
	body = append(body, end)
	ls := make([]byte, l)
	for i := range ls {
		ls[i] = i32
	}
	m := &wmod{types: testTypes, funcs: []wfunc{
		{typ: 1, locals: ls, body: cat(body...), export: "run"},
		{typ: 3, body: cat(end)},
	}}
	return m.bytes()
}

func TestExpSeq(t *testing.T) {
	for _, k := range []int{10, 100, 1000, 4000} {
		w := seqK(k)
		d := maxDepth(t, w)
		t.Logf("seq K=%d (%d bytes): max depth %d, ~%d bytes/frame", k, len(w), d, 83886080/d)
	}
	for _, c := range [][2]int{{10, 10}, {50, 50}, {100, 100}, {200, 200}} {
		w := phiK(c[0], c[1])
		d := maxDepth(t, w)
		t.Logf("phi L=%d n=%d (%d bytes): max depth %d, ~%d bytes/frame", c[0], c[1], len(w), d, 83886080/d)
	}
}
