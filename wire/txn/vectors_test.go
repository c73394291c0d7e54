package txn

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.txt from the code (review the diff: it is a wire format change)")

const vectorsFile = "testdata/vectors.txt"

// vectorKey is the signer of every vector: ed25519 from a fixed seed, so
// the signatures are fixed too (ed25519 signing is deterministic).
func vectorKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("provernet/txn/vectors"))
	return ed25519.NewKeyFromSeed(seed[:])
}

func fixed(label string) []byte {
	h := sha256.Sum256([]byte(label))
	return h[:]
}

// vectorMsgs is one message of every kind, every field set to a value
// that encodes to something, in field-number order of Msg's oneof.
func vectorMsgs() []struct {
	name string
	msg  *pb.Msg
} {
	workload := fixed("workload")
	to := address.FromPublicKey(fixed("recipient"))
	hw := &pb.Hardware{CpuCores: 8, MemoryMb: 16384, Gpus: []*pb.Gpu{{Model: "a100", MemoryMb: 40960}}, DiskGb: 100}
	return []struct {
		name string
		msg  *pb.Msg
	}{
		{"transfer", &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to[:], Amount: 42_000_000}}}},
		{"deploy", &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "sha256-chain",
			Prover: &pb.Module{Sha256: fixed("prover"), Size: 1 << 20}, Verifier: &pb.Module{Sha256: fixed("verifier"), Size: 4096},
			MinHardware: hw, VerifyCycles: 1_000_000}}}},
		{"register_prover", &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: fixed("vrf"),
			Hardware: hw, MaxConcurrent: 3, BlobEndpoint: "https://prover.example:1317"}}}},
		{"stake", &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1_000_000_000}}}},
		{"unbond", &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}}},
		{"withdraw", &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}}},
		{"run", &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: fixed("program"),
			Inputs: []*pb.Input{{Name: "input", Data: []byte("inline input")}, {Name: "big", Sha256: fixed("blob"), Size: 1 << 24}},
			Cycles: 5_000_000_000, Provers: 3, Recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
			Deadline: 40, MaxFee: 900_000}}}},
		{"accept", &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: workload, Slot: 2, By: 1234}}}},
		{"decline", &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: workload, Slot: 1}}}},
		{"submit_result", &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: workload, Slot: 2,
			Sealed: []byte("age-encryption.org/v1\n(a sealed file)"), Commit: fixed("commit"),
			Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: 2_500_000_000}}}},
		{"reveal_key", &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: workload, Slot: 2,
			Identity: "AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33"}}}},
		// Ballots 1041, 1044 and 1294: valid, invalid, copied.
		{"vote", &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{1041, 3, 250}, Verdicts: []byte{0x39}}}}},
		// issue 17: an ask.
		{"set_ask", &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: &pb.SetAsk{Id: 3, Price: 25, Latency: 6,
			Programs: [][]byte{fixed("program")}, Classes: []string{"gpu"}}}}},
		// issue 19: a hot key named.
		{"set_hot_key", &pb.Msg{Kind: &pb.Msg_SetHotKey{SetHotKey: &pb.SetHotKey{HotPublicKey: fixed("hot"), Consent: append(fixed("consent"), fixed("signature")...)}}}},
		// issue 16: proof trees.
		{"prove_tree", &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: &pb.ProveTree{BaseProgram: fixed("base"), MergeProgram: fixed("merge"),
			Inputs: []*pb.Input{{Name: "tx0", Data: []byte("first")}, {Name: "tx1", Sha256: fixed("blob"), Size: 4096}},
			Reward: 800_000_000, NodeDeadline: 5}}}},
		{"submit_node_proof", &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: &pb.SubmitNodeProof{Tree: fixed("tree"), Node: 1,
			Left: []uint32{0, 2}, Right: []uint32{1}, VrfProof: append(fixed("gamma"), append(fixed("c"), fixed("s")...)...)[:80],
			FeeBurnBp: 4000, Proof: []byte("a proof"), Outputs: append(fixed("prover")[:20], fixed("commitment")...)}}}},
		// issue 19: validator staking.
		{"create_validator", &pb.Msg{Kind: &pb.Msg_CreateValidator{CreateValidator: &pb.CreateValidator{
			ConsensusPublicKey: fixed("consensus"), VrfPublicKey: fixed("validator vrf"), SelfStake: 10_000_000_000,
			ConsensusPop: append(fixed("pop r"), fixed("pop s")...), VrfPop: append(fixed("vrf pop gamma"), append(fixed("c"), fixed("s")...)...)[:80]}}}},
		{"validator_unbond", &pb.Msg{Kind: &pb.Msg_ValidatorUnbond{ValidatorUnbond: &pb.ValidatorUnbond{ConsensusAddress: fixed("consensus")[:20]}}}},
		{"validator_withdraw", &pb.Msg{Kind: &pb.Msg_ValidatorWithdraw{ValidatorWithdraw: &pb.ValidatorWithdraw{ConsensusAddress: fixed("consensus")[:20]}}}},
	}
}

// TestVectors pins the wire encoding of one signed transaction of every
// message kind: the body bytes, the signature, the transaction bytes and
// its hash (what CometBFT and the API index). Any change to the protobuf
// schema's numbering, to deterministic marshalling or to the signing rule
// changes a vector; -update rewrites the file, and the diff is the review.
// The vectors are also decoded back from the file, so Decode is checked
// against bytes this code did not just produce.
func TestVectors(t *testing.T) {
	got := renderVectors(t)
	if *update {
		if err := os.WriteFile(vectorsFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the code's encoding (a wire format change; if intended, run go test ./wire/txn -run TestVectors -update and review the diff):\n%s",
			vectorsFile, firstDiff(string(want), got))
	}
	decodeVectors(t, string(want))
}

func renderVectors(t *testing.T) string {
	key := vectorKey()
	var b strings.Builder
	b.WriteString("# One signed transaction of every message kind (TestVectors). The signer is\n")
	b.WriteString("# ed25519.NewKeyFromSeed(SHA-256(\"provernet/txn/vectors\")); each body has chain_id\n")
	b.WriteString("# \"provernet-vectors\", the nonce listed, fee 1000 + nonce, memo \"vector <kind>\" and the\n")
	b.WriteString("# one message of wire/txn/vectors_test.go's vectorMsgs. hash is SHA-256 of tx.\n")
	b.WriteString("# Regenerate with: go test ./wire/txn -run TestVectors -update\n")
	fmt.Fprintf(&b, "sender %s\n", address.FromPublicKey(key.Public().(ed25519.PublicKey)))
	for i, v := range vectorMsgs() {
		body := &pb.TxBody{ChainId: "provernet-vectors", Nonce: uint64(i), Fee: 1000 + uint64(i), Memo: "vector " + v.name,
			Messages: []*pb.Msg{v.msg}}
		raw, err := Sign(key, body)
		if err != nil {
			t.Fatal(err)
		}
		var tx pb.Tx
		if err := proto.Unmarshal(raw, &tx); err != nil {
			t.Fatal(err)
		}
		hash := sha256.Sum256(raw)
		fmt.Fprintf(&b, "\nkind %s\nnonce %d\nbody %x\nsignature %x\ntx %x\nhash %x\n",
			v.name, body.Nonce, tx.Body, tx.Signature, raw, hash)
	}
	return b.String()
}

// decodeVectors decodes each tx of the file and checks that it verifies,
// carries its kind and re-signs to the same bytes.
func decodeVectors(t *testing.T, text string) {
	key := vectorKey()
	kinds := map[string]bool{}
	var kind string
	for _, line := range strings.Split(text, "\n") {
		field, value, _ := strings.Cut(line, " ")
		switch field {
		case "kind":
			kind = value
			kinds[kind] = true
		case "tx":
			raw, err := hex.DecodeString(value)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			tx, err := Decode(raw)
			if err != nil {
				t.Errorf("%s: the pinned transaction does not decode: %v", kind, err)
				continue
			}
			if got := string(tx.Body.Messages[0].ProtoReflect().WhichOneof(oneofKind()).Name()); got != kind {
				t.Errorf("vector %s decodes to a %s message", kind, got)
			}
			again, err := Sign(key, tx.Body)
			if err != nil || !bytes.Equal(again, raw) {
				t.Errorf("%s: decoding and re-signing changed the bytes (%v)", kind, err)
			}
		}
	}
	var missing []string
	fields := oneofKind().Fields()
	for i := range fields.Len() {
		if name := string(fields.Get(i).Name()); !kinds[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("no vector for message kinds %v: add them to vectorMsgs and run -update", missing)
	}
}

func oneofKind() protoreflect.OneofDescriptor {
	return (&pb.Msg{}).ProtoReflect().Descriptor().Oneofs().ByName("kind")
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  file: %s\n  code: %s", i+1, a, b)
		}
	}
	return "(no line differs)"
}
