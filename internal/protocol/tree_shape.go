package protocol

// The shape of a proof tree (docs/TREES.md, "Node numbering"). A tree of
// n inputs (a power of two) has n-1 nodes numbered in heap order: node 1
// is the root, node i has children 2i (left) and 2i+1 (right) and parent
// i/2, and nodes n/2..n-1 are the base nodes, base node b proving inputs
// 2(b-n/2) and 2(b-n/2)+1. The numbers never depend on the state.

// treeNodes is NUM_NODES of a tree of n inputs.
func treeNodes(n uint32) uint32 { return n - 1 }

// isBase reports whether node is a base node of a tree of n inputs.
func isBase(n, node uint32) bool { return node >= n/2 }

// baseInputs are the indices of the two inputs base node proves.
func baseInputs(n, node uint32) (uint32, uint32) {
	i := 2 * (node - n/2)
	return i, i + 1
}

// sibling is node's sibling; the root has none (0).
func sibling(node uint32) uint32 {
	if node <= 1 {
		return 0
	}
	return node ^ 1
}

// inSubtree reports whether node j lies in the subtree rooted at s.
func inSubtree(j, s uint32) bool {
	if s == 0 {
		return false
	}
	for j > s {
		j >>= 1
	}
	return j == s
}

// isPowerOfTwo reports whether n is a power of two.
func isPowerOfTwo(n uint64) bool { return n != 0 && n&(n-1) == 0 }

// treeLevel is node's height above the base nodes of a tree of n inputs:
// 0 for a base node, 1 for their parents, log2(n)-1 for the root.
func treeLevel(n, node uint32) uint32 {
	depth := uint32(0)
	for j := node; j > 1; j >>= 1 {
		depth++
	}
	return log2(n) - 1 - depth
}

// TreeLevel is treeLevel, for the daemon.
func TreeLevel(n, node uint32) uint32 { return treeLevel(n, node) }

// log2 of a power of two.
func log2(n uint32) uint32 {
	k := uint32(0)
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}
