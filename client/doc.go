// Package client is provernet's public Go SDK: account keys, building and
// signing transactions, broadcasting them through a node's HTTP API, and
// waiting for them to commit. The provernet command-line tool is built on it.
//
//	key, _ := client.LoadKey(client.DefaultKeysDir(home), "alice")
//	c := client.New("http://127.0.0.1:1317")
//	res, _ := c.Transfer(ctx, key, "prv1...", 1_000_000)
//	tx, _ := c.WaitTx(ctx, res.Hash)
package client
