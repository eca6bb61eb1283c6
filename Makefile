# dbkeep — the project's vocabulary. `make help` lists the targets.
#
# Go builds are incremental through Go's build cache, so targets simply run
# `go build`; tools are pinned and installed once into $(TOOLS).

SHELL      := /bin/bash
export GOTOOLCHAIN := local

VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X github.com/dbkeep/dbkeep/core/internal/buildinfo.Version=$(VERSION)
BIN        := bin
PLUGIN_BIN := $(BIN)/plugins
TOOLS      := $(CURDIR)/.tools
DATA       ?= ./data
LISTEN     ?= 127.0.0.1:8080

# Every directory plugins/<kind>/<name> is one plugin: dbkeep-<kind>-<name>.
PLUGINS    := $(patsubst plugins/%/,%,$(sort $(dir $(wildcard plugins/*/*/main.go))))
EXAMPLES   := $(patsubst %/go.mod,%,$(wildcard examples/*/go.mod))

BUF_VERSION            := v1.75.0
PROTOC_GEN_GO_VERSION  := v1.36.12
PROTOC_GEN_GRPC_VERSION := v1.5.1

# Where the integration tests find their real servers (see sdk/testserver);
# `make test-services` starts them on these addresses. Set a variable in the
# environment to point a test at another server.
# The servers' state (data, certificates, generated passwords) is
# machine-wide like their ports, shared by every checkout.
export DBKEEP_TEST_SERVICES     ?= /var/tmp/dbkeep-test-services
export DBKEEP_TEST_MONGODB_URI  ?= mongodb://127.0.0.1:27017/
export DBKEEP_TEST_MONGODB_TLS_URI ?= mongodb://127.0.0.1:27018/
export DBKEEP_TEST_MONGODB_TLS_CA  ?= $(DBKEEP_TEST_SERVICES)/ferretdb-cert.pem
export DBKEEP_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DBKEEP_TEST_MYSQL_DSN    ?= mysql://root@127.0.0.1:3306/
# A private MariaDB that requires TLS, with the test CA test-services made.
export DBKEEP_TEST_MYSQL_TLS_DSN ?= mysql://root@127.0.0.1:13306/?ca=$(DBKEEP_TEST_SERVICES)/mariadb-tls/ca.pem&ssl-mode=verify-identity
export DBKEEP_TEST_REDIS_URL    ?= redis://127.0.0.1:6379
# The SSH server of the SQLite remote tests: its password, user key and host
# key are files in the state folder that test-services makes.
export DBKEEP_TEST_SSH_URL      ?= ssh://dbkeep-ssh@127.0.0.1:12022/?state=$(DBKEEP_TEST_SERVICES)/sshd
export DBKEEP_TEST_S3_URL       ?= http://dbkeep:dbkeep-secret@127.0.0.1:19000
export DBKEEP_TEST_SFTP_URL     ?= sftp://dbkeep:dbkeep-secret@127.0.0.1:12222
export DBKEEP_TEST_SMB_URL      ?= smb://dbkeep:dbkeep-secret@127.0.0.1:14445/dbkeep
export DBKEEP_TEST_FTP_URL      ?= ftp://dbkeep:dbkeep-secret@127.0.0.1:12121
export DBKEEP_TEST_FTPS_URL     ?= ftps://dbkeep:dbkeep-secret@127.0.0.1:12990?ca=$(DBKEEP_TEST_SERVICES)/ftps-cert.pem
export DBKEEP_TEST_WEBDAV_URL   ?= http://dbkeep:dbkeep-secret@127.0.0.1:18080
# The same FTP and WebDAV folders, served read-only: permission errors.
export DBKEEP_TEST_FTP_READONLY_URL    ?= ftp://dbkeep:dbkeep-secret@127.0.0.1:12122
export DBKEEP_TEST_WEBDAV_READONLY_URL ?= http://dbkeep:dbkeep-secret@127.0.0.1:18081

.PHONY: help build core plugins examples run test test-services test-services-stop test-e2e bench proto proto-check lint webui clean tools

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

build: core plugins ## build the core and every plugin into bin/, and pin the plugins' checksums
	./$(BIN)/dbkeep plugins lock

core: ## build bin/dbkeep
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/dbkeep ./core/cmd/dbkeep

plugins: ## build every first-party plugin into bin/plugins/
	@mkdir -p $(PLUGIN_BIN)
	@for p in $(PLUGINS); do \
		echo "go build dbkeep-$${p/\//-}"; \
		go build -trimpath -ldflags '-s -w' -o $(PLUGIN_BIN)/dbkeep-$${p/\//-} ./plugins/$$p || exit 1; \
	done

examples: ## build and test every example plugin (each its own module)
	@for e in $(EXAMPLES); do \
		echo "== $$e"; \
		(cd $$e && go vet ./... && go test ./... && go build -o $(CURDIR)/$(BIN)/examples/ ./...) || exit 1; \
	done

run: build ## build, then serve the UI and /healthz with the data dir ./data
	./$(BIN)/dbkeep serve --data $(DATA) --listen $(LISTEN)

test: test-services ## the whole test suite (README's test command; CI runs it with CI=true)
	go vet ./... ./sdk/... $(addsuffix /...,$(addprefix ./,$(EXAMPLES)))
	go test -race -count=1 ./...
	cd sdk && go test -race -count=1 ./...
	@for e in $(EXAMPLES); do (cd $$e && go test -race -count=1 ./...) || exit 1; done

test-services: ## start the real servers the tests use (PostgreSQL, MariaDB, S3, SFTP, FTP, WebDAV) on 127.0.0.1
	TOOLS=$(TOOLS) ./scripts/test-services

test-services-stop: ## stop the test servers make test-services started (not the machine's PostgreSQL, MariaDB, Redis)
	./scripts/test-services stop

test-e2e: test-services ## end-to-end only: dbkeep serve and the plugins, built by the tests, driven through the API
	go test -count=1 ./core/e2e/

bench: test-services ## benchmarks (speed and memory goals); figures go to docs/benchmarks.md
	go test -run '^$$' -bench TwoHops -benchtime 3x -count 1 ./internal/benchmarks/
	@# Each storage plugin against its local server (256 MiB each way), then
	@# S3's memory with a 2 GiB object; one pass each, they are long.
	go test -run '^$$' -bench 'StoragePlugins|S3UploadMemory' -benchtime 1x -count 1 -timeout 60m ./internal/benchmarks/
	@# The backup engine, compression, DBK1 and retention on their own, then a
	@# ≥ 1 GiB PostgreSQL backup through the real core beside pg_dump | zstd
	@# (generates the database once, a minute or two).
	go test -run '^$$' -bench . -benchtime 1x -count 1 ./core/internal/engine/
	go test -run '^$$' -bench . -count 1 ./core/internal/compress/ ./core/internal/dbk1/ ./core/internal/execlog/ ./core/internal/retention/
	go test -run '^$$' -bench Backup1GiB -benchtime 1x -count 1 -timeout 60m ./core/e2e/
	cd sdk && go test -run '^$$' -bench . -count 1 ./...

tools: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc ## install the pinned code generators into .tools/

$(TOOLS)/buf:
	GOBIN=$(TOOLS) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GRPC_VERSION)

proto: tools ## lint the wire contract and regenerate sdk/internal/pb
	cd proto && PATH=$(TOOLS):$$PATH buf lint && PATH=$(TOOLS):$$PATH buf generate

proto-check: proto ## fail when the committed generated code is stale
	@git diff --exit-code --stat -- sdk/internal/pb || { echo "generated code is stale: run 'make proto' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- sdk/internal/pb)" || { echo "untracked generated files: run 'make proto' and commit"; git status --porcelain -- sdk/internal/pb; exit 1; }

lint: ## gofmt, go vet and buf lint
	@test -z "$$(gofmt -l core internal plugins sdk examples)" || { gofmt -l core internal plugins sdk examples; exit 1; }
	go vet ./... ./sdk/...
	cd proto && PATH=$(TOOLS):$$PATH buf lint

webui: ## the web UI arrives in a later issue; dist/ holds a placeholder page
	@echo "webui: nothing to build yet (webui/dist holds the placeholder page)"

clean: ## remove build output (keeps ./data)
	rm -rf $(BIN)
