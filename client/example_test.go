package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/client"
)

// Example submits a Run to a node and follows it until its proof is final:
// the proof is opened the moment a prover seals it (from the node's
// mempool), and again once the committee judged it valid. Against a devnet
// (`make run`, whose home holds the funded keys dev0, dev1, ...; here
// ~/.provernet, or $PROVERNET_HOME as the CLI reads it) it prints the
// fee, the workload id and the proof's size.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:1317")
	home := os.Getenv("PROVERNET_HOME") // as the CLI finds it
	if home == "" {
		d, err := os.UserHomeDir()
		if err != nil {
			log.Fatal(err)
		}
		home = filepath.Join(d, ".provernet")
	}
	keys := client.DefaultKeysDir(home)
	key, err := client.LoadKey(keys, "dev1")
	if err != nil {
		log.Fatal(err) // provernet keys add dev1, and fund it
	}
	// The user's age identity: the result is sealed to it.
	identity, err := client.LoadOrCreateIdentity(client.IdentityFile(home, "dev1"))
	if err != nil {
		log.Fatal(err)
	}
	prog, err := c.ResolveProgram(ctx, "sha256-chain") // a program's name or its hex id
	if err != nil {
		log.Fatal(err)
	}
	req := client.RunRequest{Program: prog.ID, Cycles: 50_000_000, Provers: 1, Deadline: 40,
		Recipient: identity.Recipient().String(), Inputs: []client.RunInput{{Name: "input", Data: []byte("hello")}}}
	quote, err := c.QuoteRun(ctx, key, req)
	if err != nil {
		log.Fatal(err, client.Hint(err)) // typed errors: client.CodeOf, client.Hint
	}
	fmt.Println("fee:", quote.Fee, "uprv")
	sub, err := c.SubmitRun(ctx, key, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("workload:", sub.Workload)
	done, err := c.FollowRun(ctx, sub.Workload, identity.String(), client.FollowOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if done.Final != nil {
		fmt.Println("proof:", len(done.Final.Proof), "bytes, judged valid")
	}
}
