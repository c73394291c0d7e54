//go:build !wasip1

package progcore

import "os"

// Args returns the program's arguments (os.Args).
func Args() []string { return os.Args }

func exit(code int) { os.Exit(code) }
