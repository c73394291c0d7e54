package node

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// CheckState finds the state of a stopped node sound, and then finds a
// balance raised behind the protocol's back: the supply no longer adds up.
func TestCheckStateFindsABrokenSupply(t *testing.T) {
	home := t.TempDir()
	var a address.Address
	copy(a[:], bytes.Repeat([]byte{7}, len(a)))
	g := protocol.Genesis{Params: protocol.DefaultParams(), BeaconSeed: bytes.Repeat([]byte{1}, 32),
		Accounts:   []protocol.GenesisAccount{{Address: a, Balance: 1000}},
		Validators: []protocol.GenesisValidator{{Address: bytes.Repeat([]byte{9}, 20), VRFPublicKey: bytes.Repeat([]byte{3}, 32)}}}
	write := func(f func(*iavltree.Tree)) {
		t.Helper()
		tree, err := iavltree.OpenDisk(filepath.Join(home, "data", "app"), 0)
		if err != nil {
			t.Fatal(err)
		}
		f(tree)
		if _, _, err := tree.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := tree.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tree *iavltree.Tree) {
		if err := protocol.InitGenesis(tree.Working(), "check", &g); err != nil {
			t.Fatal(err)
		}
	})
	res, err := CheckState(home)
	if err != nil || res.Err != "" || res.Height != 1 || len(res.AppHash) != 64 {
		t.Fatalf("sound state: %+v, %v", res, err)
	}
	write(func(tree *iavltree.Tree) {
		b, _ := proto.Marshal(&pb.Account{Balance: 1001})
		if err := tree.Working().Set(protocol.AccountKey(a), b); err != nil {
			t.Fatal(err)
		}
	})
	res, err = CheckState(home)
	if err != nil || !strings.Contains(res.Err, "supply invariant broken") || res.Height != 2 {
		t.Fatalf("a raised balance: %+v, %v", res, err)
	}
	if _, err := CheckState(t.TempDir()); err == nil {
		t.Fatal("a home without state was checked")
	}
}
