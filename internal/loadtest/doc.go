// Package loadtest floods a node's HTTP API with paced requests and
// measures how the gaps between its commits change under the flood. It is
// shared by the flood test of internal/httpapi and the flood classes of
// `provernet bench attack` (internal/bench), so both drive and measure a
// flood the same way. It imports neither, nor internal/node, so that tests
// of any of them may use it.
package loadtest
