# The README's commands. `make test` is what CI runs (.ci/run).
GO ?= go
GOFLAGS_LAMBDA = -tags lambda.norpc -trimpath -ldflags="-s -w" -buildvcs=false

.PHONY: test dev build fuzz bench soak lint clean build-IngestFunction build-DeliveryFunction

test:
	./scripts/test.sh

# Built first so the wait is explained: the first build compiles the pure-Go SQLite
# driver (about 1.5 min on 2 cores); later builds take a second.
dev:
	@echo "building bin/webhooks (the first build takes a minute or two; later ones a second)..."
	@$(GO) build -o bin/webhooks ./cmd/webhooks
	./bin/webhooks dev --demo

build:
	$(GO) build -o bin/webhooks ./cmd/webhooks

# gofmt, go vet, golangci-lint (.golangci.yml), go mod tidy; fails on any finding.
lint:
	./scripts/lint.sh

fuzz:
	./scripts/fuzz.sh

bench:
	./scripts/bench.sh

soak:
	./scripts/soak.sh

# sam build runs these with ARTIFACTS_DIR set (template.yaml: BuildMethod makefile).
build-IngestFunction:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ingest

build-DeliveryFunction:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/delivery

clean:
	rm -rf bin .aws-sam
