# Tierlink developer tasks. `make test` is what CI runs.
GO       ?= go
TOOLS    ?= $(HOME)/.cache/tierlink-tools/bin
GOLANGCI := $(TOOLS)/golangci-lint
GOLANGCI_VERSION := v2.15.0

.PHONY: test test-cluster test-short lint vuln fmt bench run generate migrations tools mailpit fuzz screenshots pagecheck

## test: vet, then the whole suite with the race detector. PostgreSQL
## tests run when TIERLINK_TEST_POSTGRES_URL is set (.ci/postgres.sh
## starts one); browser tests need Debian's chromium.
## The browser tests (journeys and page checks) spend their time in
## Chromium, not in Go, so they run as a second process beside the rest
## of the suite instead of last in the portal package's serial queue; the
## portal package alone otherwise takes half of CI. Their output follows
## the suite's.
BROWSER_TESTS := ^(TestBrowser.*|TestPageChecks)$$
test:
	$(GO) vet ./...
	@log=$$(mktemp); \
	$(GO) test -race -count=1 -timeout 30m -run '$(BROWSER_TESTS)' ./portal >$$log 2>&1 & pid=$$!; \
	$(GO) test -race -count=1 -timeout 30m -skip '$(BROWSER_TESTS)' ./...; rc=$$?; \
	wait $$pid; brc=$$?; echo "--- browser tests (portal)"; cat $$log; rm -f $$log; \
	test $$rc = 0 -a $$brc = 0

## test-cluster: three tierlink serve instances over one PostgreSQL and a
## four-node MinIO in distributed, erasure-coded mode (needs
## TIERLINK_TEST_POSTGRES_URL; builds MinIO once into the tool cache).
test-cluster:
	$(GO) test -tags cluster -run '^TestCluster$$' -count=1 -timeout 20m -v ./cmd/tierlink

test-short:
	$(GO) test -count=1 ./...

## lint: gofmt, go vet and a short golangci-lint list (.golangci.yml).
lint: $(GOLANGCI)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI) run ./...

$(GOLANGCI):
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## tools: build the linters once into the tool cache.
tools: $(GOLANGCI)

## mailpit: build the pinned Mailpit the mail tests start once into the
## tool cache (the tests would build it themselves, inside their timeout).
mailpit:
	$(GO) run ./partners/mail/mailpittest/build

## vuln: govulncheck ./... against a vulnerability database built from the
## golang.org/x/vulndb module (.ci/vuln.sh explains why).
vuln:
	GO=$(GO) .ci/vuln.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: every benchmark once, printed as one table (docs/benchmarks.md).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./... | tee /tmp/tierlink-bench.txt | .ci/benchtable.sh

run:
	$(GO) run ./cmd/tierlink serve --demo

## screenshots: full-page PNGs of every page, seeded with the demo, in
## both languages on a 390×844 phone and a 1280×800 desktop, into
## ./screenshots/<language>-<phone|desktop>/ (the page walk of
## portal/pagecheck_test.go; needs Chromium and .ci/npm-tools.sh).
SCREENSHOTS ?= $(CURDIR)/screenshots
screenshots:
	rm -rf $(SCREENSHOTS) && mkdir -p $(SCREENSHOTS)
	.ci/npm-tools.sh
	TIERLINK_SCREENSHOTS=$(SCREENSHOTS) $(GO) test -run '^TestPageChecks$$' -count=1 -timeout 20m ./portal
	@echo "screenshots in $(SCREENSHOTS)"

## pagecheck: the page checks alone (accessibility, layout, stray
## language), their report also written to PAGECHECK_REPORT.
PAGECHECK_REPORT ?= $(CURDIR)/pagecheck-report.txt
pagecheck:
	.ci/npm-tools.sh
	TIERLINK_PAGECHECK_REPORT=$(PAGECHECK_REPORT) $(GO) test -run '^TestPageChecks$$' -count=1 -timeout 20m ./portal

## generate: regenerate ent code from ent/schema.
generate:
	$(GO) generate ./ent

## migrations NAME=add_x: write the next versioned migration per dialect.
migrations: generate
	@test -n "$(NAME)" || { echo "usage: make migrations NAME=add_something"; exit 2; }
	TIERLINK_TEST_POSTGRES_URL=$${TIERLINK_TEST_POSTGRES_URL:-$$(.ci/postgres.sh start)} $(GO) run ./ent/migrate/migrations/gen -name $(NAME)

## fuzz: run every fuzz target for FUZZTIME each (their seed corpora
## already run in `make test`); findings land in testdata/fuzz and
## become regression tests.
FUZZTIME ?= 10s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz.sh
