package main

import (
	"github.com/spf13/cobra"
)

// newSimCmd is `provernet sim`, which the companion binary provernet-bench
// runs (see companionCmd): the simulator's charts link gonum/plot.
func newSimCmd(g *globals) *cobra.Command {
	return companionCmd(g, "sim", "Simulate a population of provers under an allocation mechanism")
}
