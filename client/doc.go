// Package client is provernet's public Go SDK: account keys, building and
// signing transactions, broadcasting them through a node's HTTP API,
// waiting for them to commit, and following a Run to its proof. The
// provernet command-line tool is built on it and only formats what it
// returns.
//
//	key, _ := client.LoadKey(client.DefaultKeysDir(home), "alice")
//	c := client.New("http://127.0.0.1:1317")
//	res, _ := c.Transfer(ctx, key, "prv1...", 1_000_000)
//	tx, _ := c.WaitTx(ctx, res.Hash)
//
// Invariants:
//
//   - The client owns every check a caller needs: a result it opens
//     (OpenPending, OpenSlot, OpenResult) has a header naming the workload,
//     slot and prover it was served for (CheckHeader), and a Run it sends
//     has input names the chain accepts (CheckInputs).
//   - Errors are typed for branching, never to be matched by text:
//     ErrNotFound (a 404), ErrUnreachable (no answer), *StatusError (any
//     other non-2xx, with the API's hint: Hint), *RejectedError and
//     *FailedError (a transaction's stable wire.Code: CodeOf), ErrNoResult
//     and ErrHeaderMismatch.
//   - Defaults a caller shows (DefaultDeadlineSlack, DefaultPollInterval)
//     are constants here, the one source the CLI's help quotes.
//   - It links only the public wire packages and age, never the node's
//     internal ones (deps_test.go).
package client
