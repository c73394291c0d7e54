package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// blobReport is what `blob put` prints for each file.
type blobReport struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

func newBlobCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "blob", Short: "Upload and download blobs (large Run inputs, program modules)"}
	cmd.AddCommand(newBlobPutCmd(g), newBlobGetCmd(g))
	return cmd
}

func newBlobPutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "put FILE...",
		Short: "Upload files to the node's blob store and print their hashes",
		Long: `Uploads each file to the node's blob store. The node keeps a blob that a Run or
Deploy names (committed, or in its mempool within the last hour) for good; any
other upload counts against a quota per client and is collected after an hour.
provernet run and program deploy upload after sending the transaction for that
reason; use this to finish an upload they could not.`,
		Example: "  provernet blob put input.bin",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := g.client()
			var out []blobReport
			for _, path := range args {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(b)
				want := hex.EncodeToString(sum[:])
				info, err := c.PutBlob(cmd.Context(), bytes.NewReader(b))
				if err != nil {
					return fmt.Errorf("failed to upload %s: %w", path, err)
				}
				if info.SHA256 != want {
					return fmt.Errorf("the node stored %s as %s, expected %s", path, info.SHA256, want)
				}
				out = append(out, blobReport{File: path, SHA256: want, Size: len(b)})
			}
			return g.emit(out, func(w io.Writer) {
				for _, r := range out {
					fmt.Fprintf(w, "%s  %s (%d bytes)\n", r.SHA256, r.File, r.Size)
				}
			})
		},
	}
}

func newBlobGetCmd(g *globals) *cobra.Command {
	var outPath string
	cmd := &cobra.Command{
		Use:     "get SHA256",
		Short:   "Download a blob by its hash (checked) to a file or stdout",
		Example: "  provernet blob get 9f86d081884c7d65...0f00a08 -O input.bin",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := g.client().GetBlob(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if outPath == "" {
				_, err = g.stdout.Write(b)
				return err
			}
			return os.WriteFile(outPath, b, 0o644)
		},
	}
	cmd.Flags().StringVarP(&outPath, "out", "O", "", "write the blob to this file instead of stdout")
	return cmd
}
