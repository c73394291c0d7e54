package main

import "github.com/spf13/cobra"

// newProgramLocalCmds are the commands that run programs in the local
// sandbox (program run, program verify).
func newProgramLocalCmds(g *globals) []*cobra.Command { return nil }
