package protocol_test

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/provernet/provernet/examples/programs/bench"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/pb"
)

func genesisFor(t *testing.T) *protocol.Genesis {
	t.Helper()
	return &protocol.Genesis{Params: protocol.DefaultParams(), BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
}

// TestChallengeCoversDeclaration checks, for every declaration a challenge
// can test in full (up to 64 cores and 1024 MiB per core), that it touches
// all the declared memory with one piece per core, that each piece's input is one the benchmark program accepts,
// and that its budget is at least twice its work. (Before issue 12 the
// input was capped at 256 MiB and 64 segments: a prover declaring 64 GiB
// was tested on 256 MiB.)
func TestChallengeCoversDeclaration(t *testing.T) {
	params := protocol.DefaultParams()
	for cores := uint32(1); cores <= protocol.MaxChallengePieces; cores++ {
		for _, mem := range []uint64{1, 7, 256, 1000, uint64(cores) * 512, uint64(cores)*protocol.MaxPieceMiB - 1, uint64(cores) * protocol.MaxPieceMiB} {
			hw := &pb.Hardware{CpuCores: cores, MemoryMb: mem}
			if err := protocol.CheckHardwareClaim(hw); err != nil {
				t.Fatalf("%d cores, %d MiB: refused: %v", cores, mem, err)
			}
			s := protocol.ChallengeShapeOf(params, hw)
			if s.Pieces != cores {
				t.Fatalf("%d cores, %d MiB: %d pieces, want one per core", cores, mem, s.Pieces)
			}
			if uint64(s.Pieces)*s.MemoryMiB < mem || s.MemoryMiB > protocol.MaxPieceMiB {
				t.Fatalf("%d cores, %d MiB: %d pieces of %d MiB do not cover the declaration", cores, mem, s.Pieces, s.MemoryMiB)
			}
			p := &pb.Prover{Address: make([]byte, 20), Hardware: hw}
			in, err := bench.ParseInput(protocol.ChallengeInput(make([]byte, 32), p, s, s.Pieces-1))
			if err != nil {
				t.Fatalf("%d cores, %d MiB: the benchmark refuses its input: %v", cores, mem, err)
			}
			work := uint64(in.Segments) * uint64(in.MemoryMiB) * 48_000_000
			if s.Cycles < 2*work || uint64(in.MemoryMiB) != s.MemoryMiB {
				t.Fatalf("%d cores, %d MiB: budget %d for about %d cycles of work", cores, mem, s.Cycles, work)
			}
		}
	}
}

// TestAllocatorReliesOnTestedHardware checks that what a challenge does not
// test (cores beyond 64, memory beyond 1024 MiB per core, GPUs) is not what
// the allocator sees: declaring hardware nobody else has captures nothing.
func TestAllocatorReliesOnTestedHardware(t *testing.T) {
	for _, c := range []struct {
		hw         *pb.Hardware
		cores      uint32
		memory     uint64
		piecesMiB  uint64
		wantPieces uint32
	}{
		{&pb.Hardware{CpuCores: 2, MemoryMb: 65536}, 2, 2048, 1024, 2},
		{&pb.Hardware{CpuCores: 4096, MemoryMb: 1}, 64, 1, 1, 64},
		{&pb.Hardware{CpuCores: 8, MemoryMb: 4096, Gpus: []*pb.Gpu{{Model: "H100", MemoryMb: 81920}}}, 8, 4096, 512, 8},
	} {
		got := protocol.TestedHardware(c.hw)
		if got.CPUCores != c.cores || got.MemoryMB != c.memory || len(got.GPUs) != 0 {
			t.Errorf("%v: tested as %+v, want %d cores, %d MiB, no GPUs", c.hw, got, c.cores, c.memory)
		}
		s := protocol.ChallengeShapeOf(protocol.DefaultParams(), c.hw)
		if s.Pieces != c.wantPieces || s.MemoryMiB != c.piecesMiB || uint64(s.Pieces)*s.MemoryMiB < got.MemoryMB {
			t.Errorf("%v: challenged with %d pieces of %d MiB, which do not cover the tested %d MiB", c.hw, s.Pieces, s.MemoryMiB, got.MemoryMB)
		}
	}
	gpu := &pb.Hardware{CpuCores: 1, MemoryMb: 1, Gpus: []*pb.Gpu{{Model: "H100", MemoryMb: 81920}}}
	on, off := protocol.DefaultParams(), protocol.DefaultParams()
	on.ChallengeProgram = strings.Repeat("ab", 32)
	if len(protocol.AllocHardware(on, gpu).GPUs) != 0 || len(protocol.AllocHardware(off, gpu).GPUs) != 1 {
		t.Error("with challenges on the allocator must ignore GPUs; with them off it trusts the declaration")
	}
	if protocol.CheckHardwareClaim(&pb.Hardware{CpuCores: protocol.MaxDeclaredCores + 1, MemoryMb: 1}) == nil {
		t.Error("an absurd core count was accepted")
	}
}

// TestChallengePiecesDiffer checks that no piece's input repeats another's
// (a prover must not compute one piece and copy it).
func TestChallengePiecesDiffer(t *testing.T) {
	p := &pb.Prover{Address: make([]byte, 20), Hardware: &pb.Hardware{CpuCores: 8, MemoryMb: 8192}}
	s := protocol.ChallengeShapeOf(protocol.DefaultParams(), p.Hardware)
	seen := map[string]bool{}
	for i := range s.Pieces {
		in := string(protocol.ChallengeInput(make([]byte, 32), p, s, i))
		if seen[in] {
			t.Fatalf("piece %d repeats an earlier piece's input", i)
		}
		seen[in] = true
	}
}

// TestGenesisPrograms checks that a genesis deploys its programs, owned by
// nobody, and refuses one a Deploy would refuse or one listed twice.
func TestGenesisPrograms(t *testing.T) {
	pv, vf := make([]byte, 32), make([]byte, 32)
	pv[0], vf[0] = 1, 2
	prog := protocol.GenesisProgram{Name: "bench", Prover: &protocol.GenesisModule{SHA256: pv, Size: 10},
		Verifier: &protocol.GenesisModule{SHA256: vf, Size: 10}, MinHardware: &protocol.GenesisHardware{CPUCores: 1, MemoryMB: 1024}}
	g := genesisFor(t)
	g.Programs = []protocol.GenesisProgram{prog}
	g.Params.ChallengeProgram = hex.EncodeToString(prog.ID())
	kv := iavltree.OpenMemory().Working()
	if err := protocol.InitGenesis(kv, "test", g); err != nil {
		t.Fatal(err)
	}
	got, err := protocol.GetProgram(kv, prog.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "bench" || len(got.Owner) != 0 || got.Height != 0 || got.MinHardware.GetMemoryMb() != 1024 {
		t.Fatalf("genesis program stored as %v", got)
	}
	bad := prog
	bad.Verifier = &protocol.GenesisModule{SHA256: vf[:5], Size: 10}
	for name, progs := range map[string][]protocol.GenesisProgram{
		"twice":        {prog, prog},
		"bad verifier": {bad},
		"bad name":     {{Name: "Bench!", Verifier: prog.Verifier}},
	} {
		g := genesisFor(t)
		g.Programs = progs
		if err := g.Validate(); err == nil {
			t.Errorf("%s: genesis accepted", name)
		}
	}
}

// TestChallengeCommitteeIsSmall: a challenge piece is judged by at most
// challenge_committee_size members, a Run's slot by committee_size.
func TestChallengeCommitteeIsSmall(t *testing.T) {
	p := protocol.DefaultParams()
	if got := protocol.CommitteeSizeFor(p, &pb.Workload{Challenge: true}); got != int(p.ChallengeCommitteeSize) || got >= int(p.CommitteeSize) {
		t.Fatalf("a challenge's committee: %d (challenge_committee_size %d, committee_size %d)", got, p.ChallengeCommitteeSize, p.CommitteeSize)
	}
	if got := protocol.CommitteeSizeFor(p, &pb.Workload{}); got != int(p.CommitteeSize) {
		t.Fatalf("a Run's committee: %d, want %d", got, p.CommitteeSize)
	}
	active := make([][20]byte, 200)
	for i := range active {
		active[i] = [20]byte{byte(i), byte(i >> 8), 1}
	}
	slices.SortFunc(active, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
	w := &pb.Workload{Id: make([]byte, 32), Challenge: true, Slots: []*pb.Slot{{Prover: active[0][:]}}}
	if got := protocol.Committee(active, w, w.Slots[0], make([]byte, 32), protocol.CommitteeSizeFor(p, w)); len(got) != int(p.ChallengeCommitteeSize) {
		t.Fatalf("drew %d members for a challenge piece among 200 provers", len(got))
	}
}
