# provernet: the two commands of the quick start are `make run` and `make test`.
GO ?= go
BIN := build/provernet

.PHONY: build run test proto bench lint clean

include examples/programs/Makefile.inc

build:
	$(GO) build -o $(BIN) ./cmd/provernet

## run: a working devnet on this machine, with three prover daemons and the
## example programs deployed (Ctrl-C stops it).
run: build programs
	$(BIN) devnet --programs $(PROGRAMS_OUT)

## test: the whole suite, fuzz seed corpora included.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...

## proto: regenerate wire/pb from proto/ (needs protoc and protoc-gen-go).
proto:
	@command -v protoc >/dev/null || { echo "error: protoc not found"; echo "hint: apt-get install -y protobuf-compiler"; exit 1; }
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc -I proto --go_out=. --go_opt=module=github.com/provernet/provernet proto/provernet/v1/*.proto

bench: build
	$(BIN) bench chain --output json

clean:
	rm -rf build
