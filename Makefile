# provernet: the two commands of the quick start are `make run` and `make test`.
GO ?= go
BIN := build/provernet
# provernet and its companions (see docs/RATIONALE.md, "What each binary
# links"): provernet-sandbox runs sandbox jobs, provernet-bench runs
# `provernet bench` and `provernet sim`. provernet finds them beside itself.
CMDS := ./cmd/provernet ./cmd/provernet-sandbox ./cmd/provernet-bench

.PHONY: build run test test-long test-gnark test-race proto bench soak lint clean

include examples/programs/Makefile.inc

## build: build/provernet, build/provernet-sandbox and build/provernet-bench.
build:
	@mkdir -p build
	$(GO) build -o build/ $(CMDS)

## run: a working devnet on this machine, with three prover daemons and the
## example programs deployed (Ctrl-C stops it).
run: build programs
	$(BIN) devnet --programs $(PROGRAMS_OUT)

## test: the whole suite, fuzz seed corpora included.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...

## test-long: the tests too long for `make test`, named TestLong* and
## built only with the tag long: the fault tests of a multi-process
## localnet that take minutes (issue 19; internal/localnet).
test-long:
	$(GO) test -tags long -count=1 -run 'TestLong' -timeout 20m ./...

## test-gnark: a tree of real recursive gnark proofs on a devnet (issue 16;
## internal/node, tag gnark). Its keys take half an hour or more on two
## cores unless PROVERNET_TREE_KEYS names a directory that keeps them
## between runs, so CI does not run it.
test-gnark:
	$(GO) test -tags gnark -count=1 -run 'TestGnarkTreeOnDevnet' -timeout 120m -v ./internal/node

## test-race: the race detector over the packages that run goroutines (the
## app's mempool and block locks, the API, the blob store and its peer
## fetch, the worker pool, the prover daemon, the client, the load
## generator). The sandbox and node packages run only their concurrency
## tests: under -race every metered program runs several times slower.
RACE_PKGS := ./client ./internal/blob ./internal/chain ./internal/httpapi ./internal/loadtest ./internal/prover ./internal/store/...
test-race:
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)
	$(GO) test -count=1 -race -timeout 20m -run 'TestPool' ./internal/sandbox
	$(GO) test -count=1 -race -timeout 20m -run 'TestFourValidators|TestTransferAndRestart' ./internal/node

## proto: regenerate wire/pb from proto/ (needs protoc and protoc-gen-go).
proto:
	@command -v protoc >/dev/null || { echo "error: protoc not found"; echo "hint: apt-get install -y protobuf-compiler"; exit 1; }
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc -I proto --go_out=. --go_opt=module=github.com/provernet/provernet proto/provernet/v1/*.proto

bench: build
	$(BIN) bench chain --output json

## soak: an hour of tiny workloads through a localnet of 4 validators and 6
## provers while a random node (never node0, the observer) is killed every
## two minutes and restarted a minute later; the same report as bench load
## (nothing lost, one app hash, every node's invariants). Not in CI.
soak: build programs
	$(BIN) bench load --duration 1h --chaos 2m --output json

clean:
	rm -rf build
