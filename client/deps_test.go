package client

import (
	"os/exec"
	"strings"
	"testing"
)

// linkBans are what an SDK user must never compile: the chain's own
// packages, its storage and consensus, and the provers' proving stack.
var linkBans = []string{
	"github.com/provernet/provernet/internal/",
	"github.com/cosmos/iavl",
	"github.com/syndtr/goleveldb",
	"github.com/cosmos/gogoproto",
	"github.com/cometbft/",
	"github.com/consensys/gnark",
	"github.com/tetratelabs/wazero",
}

// bannedDeps lists the packages pkg links that linkBans forbid.
func bannedDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps %s printed %d packages; the standard library alone is more", pkg, len(deps))
	}
	var bad []string
	for _, dep := range deps {
		for _, ban := range linkBans {
			if strings.HasPrefix(dep, ban) {
				bad = append(bad, dep)
			}
		}
	}
	return bad
}

// TestSDKLinksNoInternals holds the client to its promise: an SDK user
// compiles the wire contract and age, never the chain's state machine, its
// storage (IAVL, goleveldb) or CometBFT.
func TestSDKLinksNoInternals(t *testing.T) {
	if bad := bannedDeps(t, "."); len(bad) > 0 {
		t.Errorf("client links %d banned packages:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	// The check itself must be able to fail: the node links all of them.
	if bad := bannedDeps(t, "../internal/node"); len(bad) < len(linkBans) {
		t.Errorf("the ban list matched only %d packages of the node; is go list reporting deps?", len(bad))
	}
}
