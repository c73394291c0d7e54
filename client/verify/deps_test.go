package verify

import (
	"os/exec"
	"strings"
	"testing"
)

// linkBans are what a verifying client must never compile: the chain's
// own packages, its storage (IAVL, CometBFT's databases, goleveldb,
// pebble), CometBFT's node-side packages (light's client links config,
// which links the databases), and the provers' proving stack.
var linkBans = []string{
	"github.com/provernet/provernet/internal/",
	"github.com/cosmos/iavl",
	"github.com/cometbft/cometbft-db",
	"github.com/syndtr/goleveldb",
	"github.com/cockroachdb/pebble",
	"github.com/cometbft/cometbft/light",
	"github.com/cometbft/cometbft/config",
	"github.com/consensys/gnark",
	"github.com/tetratelabs/wazero",
}

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

// TestVerifyLinksNoInternals: client/verify adds CometBFT's types and
// ics23 to the SDK, nothing of the node.
func TestVerifyLinksNoInternals(t *testing.T) {
	if bad := bannedDeps(t, "."); len(bad) > 0 {
		t.Errorf("client/verify links %d banned packages:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	// The check itself must be able to fail: the node links all of them.
	if bad := bannedDeps(t, "../../internal/node"); len(bad) < len(linkBans)-1 {
		t.Errorf("the ban list matched only %d packages of the node; is go list reporting deps?", len(bad))
	}
}
