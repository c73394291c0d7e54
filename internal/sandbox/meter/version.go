package meter

// Version names what Instrument produces. Anything that caches
// instrumented modules (the sandbox's on-disk cache) keys them by it, so a
// binary whose instrumentation differs never runs another's cached output
// (cycle counts would then differ between provers). TestVersionGolden
// pins the output of a fixed set of modules to it: a change to the rewrite
// fails that test until Version is bumped and the golden updated.
const Version = 1
