package prover

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// fakeCompanion writes a script that records its arguments and stdin in
// dir and answers with reply (and exit code code).
func fakeCompanion(t *testing.T, reply string, code int) (exe, dir string) {
	t.Helper()
	dir = t.TempDir()
	exe = filepath.Join(dir, "provernet-sandbox")
	script := "#!/bin/sh\necho \"$@\" > " + dir + "/args\ncat > " + dir + "/stdin\nprintf '%s' '" + reply + "'\nexit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe, dir
}

// TestGnarkProgramRequests: the daemon asks provernet-sandbox tree-node
// for a base node with the level's key and the inputs' hashes, for a
// merge with its level's and the level below's keys and the one proof of
// each child; the companion's error comes back as the daemon's.
func TestGnarkProgramRequests(t *testing.T) {
	exe, dir := fakeCompanion(t, `{"proof":"AQI=","outputs":"AwQ="}`, 0)
	g := &gnarkProgram{exe: exe, dir: "/keys", vks: [][]byte{{0}, {1}}}
	prover := address.Address{9}
	a, b := &pb.Input{Data: []byte("a")}, &pb.Input{Sha256: make([]byte, 32)}
	proof, outputs, err := g.prove(context.Background(), nodeJob{tree: make([]byte, 32), n: 4, node: 3, prover: prover, a: a, b: b})
	if err != nil || string(proof) != "\x01\x02" || string(outputs) != "\x03\x04" {
		t.Fatalf("base: %x %x %v", proof, outputs, err)
	}
	var req treepair.NodeRequest
	read := func() {
		t.Helper()
		raw, _ := os.ReadFile(filepath.Join(dir, "stdin"))
		req = treepair.NodeRequest{}
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
	}
	read()
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if strings.TrimSpace(string(args)) != treepair.NodeCommand || req.Keys != "/keys" || req.Level != 0 || string(req.VK) != "\x00" ||
		req.Node != 3 || req.A != "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" || req.B != strings.Repeat("00", 32) || req.Left != nil {
		t.Fatalf("base request %q %+v", args, req)
	}
	left := []childProof{{seq: 2, outputs: []byte("lo"), proof: []byte("lp")}}
	right := []childProof{{seq: 1, outputs: []byte("ro"), proof: []byte("rp")}}
	if _, _, err := g.prove(context.Background(), nodeJob{tree: make([]byte, 32), n: 4, node: 1, prover: prover, left: left, right: right}); err != nil {
		t.Fatal(err)
	}
	read()
	if req.Level != 1 || string(req.VK) != "\x01" || string(req.ChildVK) != "\x00" || string(req.Left.Proof) != "lp" || string(req.Right.Outputs) != "ro" {
		t.Fatalf("merge request %+v", req)
	}
	if _, _, err := g.prove(context.Background(), nodeJob{tree: make([]byte, 32), n: 4, node: 1, prover: prover, left: append(left, left...), right: right}); err == nil {
		t.Fatal("a merge of two left proofs was sent")
	}
	if _, _, err := g.prove(context.Background(), nodeJob{tree: make([]byte, 32), n: 8, node: 1, prover: prover, left: left, right: right}); err == nil {
		t.Fatal("a node above the keys' levels was sent")
	}
	exe, _ = fakeCompanion(t, `{"error":"keys of another setup"}`, 1)
	g.exe = exe
	if _, _, err := g.prove(context.Background(), nodeJob{tree: make([]byte, 32), n: 4, node: 3, prover: prover, a: a, b: b}); err == nil || !strings.Contains(err.Error(), "keys of another setup") {
		t.Fatalf("the companion's error: %v", err)
	}
}

// TestNodeProgramFor: the hash pair always; the gnark pair when the
// chain's params name its keys and the daemon has them, otherwise an
// error that says what is missing; any other two program ids are a
// deployed pair.
func TestNodeProgramFor(t *testing.T) {
	d := &Daemon{}
	d.params.TreeParams = &protocol.TreeParams{TreeGnarkBaseVK: []byte{0}, TreeGnarkMergeVKs: [][]byte{{1}}, MaxTreeInputs: 4}
	hash := &pb.Tree{BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram}
	if p, err := d.nodeProgramFor(hash); err != nil || p.background() || p.oneChild() {
		t.Fatalf("hash pair: %v %v", p, err)
	}
	b, m := wire.TreeGnarkPrograms([]byte{0}, [][]byte{{1}})
	gnark := &pb.Tree{Id: []byte{1}, BaseProgram: b, MergeProgram: m}
	if _, err := d.nodeProgramFor(gnark); err == nil || !strings.Contains(err.Error(), "--tree-keys") {
		t.Fatalf("gnark pair without keys: %v", err)
	}
	d.cfg.TreeKeysDir = "/keys"
	if p, err := d.nodeProgramFor(gnark); err != nil || !p.background() || !p.oneChild() || !p.needsProofs() {
		t.Fatalf("gnark pair: %v %v", p, err)
	}
	// Any other pair of program ids is two deployed programs (the chain
	// refuses a tree of anything else): proved in the background, merges
	// naming every kept child proof, with their bytes.
	p, err := d.nodeProgramFor(&pb.Tree{BaseProgram: m, MergeProgram: b})
	if dp, ok := p.(*deployedProgram); err != nil || !ok || !p.background() || p.oneChild() || !p.needsProofs() ||
		!bytes.Equal(dp.base, m) || !bytes.Equal(dp.merge, b) {
		t.Fatalf("a deployed pair: %v %v", p, err)
	}
	if _, err := d.nodeProgramFor(&pb.Tree{BaseProgram: m[:20], MergeProgram: b}); err == nil {
		t.Fatal("a pair with a 20-byte program id has a program")
	}
}
