# ocirun: build, demo and tests. Run as root on Debian 12:
#   make demo    build ocirun and run the sample busybox container
#   make test    install what the tests need and run every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin

VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || echo 0.1.0-dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# Four binaries, installed side by side: ocirun, the command line, is pure
# Go (no cgo), so no command pays for the C library's start-up; ocirun-init,
# the container init, holds what needs C (stage 0, libseccomp); ocirun-exec
# finishes every process (see below); ocirun-systemd makes the D-Bus calls
# of the systemd cgroup driver, so that only containers of that driver pay
# for the D-Bus packages' initialisation.
# STATIC=1 links the init as one self-contained file (musl, libseccomp.a),
# which is what a binary executed inside a container wants. musl rather
# than glibc: stage 0 runs in every container's creation before any Go,
# and glibc's static start-up (tunables, CPU feature probing with cpuid,
# which traps to the hypervisor in a VM) cost 3 ms of run's wall time and
# 5 ms of its CPU here (bench/README.md). The netgo and osusergo tags keep
# the C library's NSS out of it. libseccomp.a is the distribution's, named
# by its path in a pkg-config file of our own, so that musl-gcc never
# searches glibc's library directory; the "musl" tag supplies the one
# glibc-only symbol it uses.
# urfave_cli_no_docs leaves out the CLI library's man-page generator, whose
# package initialisation every ocirun process would otherwise pay for.
STATIC ?= 1
TAGS ?=
BUILD_DIR := build
KERNEL_INCLUDE := $(BUILD_DIR)/kernel-include
MUSL_PC := $(BUILD_DIR)/musl-pc
ifeq ($(STATIC),1)
INIT_TAGS := netgo osusergo musl $(TAGS)
INIT_ENV := CC=musl-gcc PKG_CONFIG_PATH=$(abspath $(MUSL_PC)) CGO_CFLAGS='-O2 -isystem $(abspath $(KERNEL_INCLUDE))'
EXTLDFLAGS := -linkmode external -extldflags -static
INIT_DEPS := $(KERNEL_INCLUDE)/.done $(MUSL_PC)/libseccomp.pc
else
INIT_TAGS := $(TAGS)
INIT_ENV :=
EXTLDFLAGS :=
INIT_DEPS :=
endif
# The pure-Go binaries keep Go's heap where Go 1.25 and earlier put it, at
# an arena boundary, when the toolchain still offers that (Go 1.26 chooses
# a random page, which guards cgo programs and so nothing in these two):
# then the huge page that package prefault makes at the heap's start
# always holds the heap of a whole command instead of, after an unlucky
# draw, its first few pages (run: 1 ms less wall and CPU time,
# bench/README.md). The init links C, and keeps the randomization.
HEAP_BASE_EXPERIMENT := $(shell GOEXPERIMENT=norandomizedheapbase64 $(GO) env GOEXPERIMENT >/dev/null 2>&1 && echo norandomizedheapbase64)
# On amd64 the pure-Go binaries start at package prefault's entry, which
# maps in their code and data with two system calls before the runtime
# starts, instead of some 150 page faults (run, together with the same for
# the init in nsenter.c: 1.6-3.3 ms less wall time and 2.5-4.5 ms less CPU
# in two sets of interleaved rounds; bench/README.md).
PREFAULT_ENTRY := $(if $(filter amd64,$(shell $(GO) env GOARCH)),-E github.com/ocirun/ocirun/libcontainer/prefault.entry)
LDFLAGS := -X main.version=$(VERSION) -X main.gitCommit=$(COMMIT) $(PREFAULT_ENTRY)
GOBUILD := GOEXPERIMENT=$(HEAP_BASE_EXPERIMENT) CGO_ENABLED=0 $(GO) build -trimpath -tags '$(strip urfave_cli_no_docs $(TAGS))' -ldflags '$(LDFLAGS)'
GOBUILD_INIT := $(INIT_ENV) CGO_ENABLED=1 $(GO) build -trimpath -tags '$(strip $(INIT_TAGS))' -ldflags '$(EXTLDFLAGS)'

ROOTFS ?= $(BUILD_DIR)/rootfs
DEMO_BUNDLE := $(BUILD_DIR)/demo
DEMO_ID := ocirun-demo
RECVTTY := tests/bin/recvtty

# The runtime the bats suite tests; OCIRUN=runc checks the suite itself.
OCIRUN ?=
BATS_FLAGS ?=

.PHONY: build recvtty install rootfs demo test install-deps build-deps lint test-unit test-bats test-faults test-engines test-rootless test-v2 conformance bench clean

build: ocirun-exec $(INIT_DEPS)
	$(GOBUILD) -o ocirun ./cmd/ocirun
	$(GOBUILD_INIT) -o ocirun-init ./cmd/ocirun-init
	$(GOBUILD) -o ocirun-systemd ./cmd/ocirun-systemd

# ocirun-exec, the finisher of every process and stage 0 of an exec that
# needs no Go, is plain C linked statically against musl (package initproto
# says why). musl-gcc's include path leaves out the kernel's headers (and,
# for the init, libseccomp's); they come from a directory that holds only
# those, not glibc's.
EXEC_C := cmd/ocirun-exec/main.c cmd/ocirun-exec/finish.c cmd/ocirun-exec/plan.c libcontainer/nsenter/nsenter.c
EXEC_H := cmd/ocirun-exec/finish.h cmd/ocirun-exec/plan.h libcontainer/nsenter/nsenter.h libcontainer/nsenter/initproto.h
ocirun-exec: $(EXEC_C) $(EXEC_H) $(KERNEL_INCLUDE)/.done
	musl-gcc -static -O2 -Wall -Wextra -Werror -DOCIRUN_EXEC_BINARY -Icmd/ocirun-exec -Ilibcontainer/nsenter \
		-isystem $(KERNEL_INCLUDE) -o $@ $(EXEC_C)

$(KERNEL_INCLUDE)/.done:
	@mkdir -p $(KERNEL_INCLUDE)
	@ln -sfn /usr/include/linux $(KERNEL_INCLUDE)/linux
	@ln -sfn /usr/include/asm-generic $(KERNEL_INCLUDE)/asm-generic
	@ln -sfn /usr/include/$(shell gcc -print-multiarch)/asm $(KERNEL_INCLUDE)/asm
	@ln -sfn /usr/include/seccomp.h $(KERNEL_INCLUDE)/seccomp.h
	@ln -sfn /usr/include/seccomp-syscalls.h $(KERNEL_INCLUDE)/seccomp-syscalls.h
	@touch $@

$(MUSL_PC)/libseccomp.pc:
	@mkdir -p $(MUSL_PC)
	@lib=$$(pkg-config --variable=libdir libseccomp)/libseccomp.a; \
	test -f "$$lib" || { echo "$$lib missing: install libseccomp-dev" >&2; exit 1; }; \
	printf 'Name: libseccomp\nDescription: the static library, for the musl init\nVersion: %s\nLibs: %s\n' \
		"$$(pkg-config --modversion libseccomp)" "$$lib" > $@

recvtty:
	@mkdir -p $(dir $(RECVTTY))
	CGO_ENABLED=0 $(GO) build -trimpath -o $(RECVTTY) ./tests/cmd/recvtty

install: build
	install -D -m 0755 ocirun $(DESTDIR)$(BINDIR)/ocirun
	install -D -m 0755 ocirun-init $(DESTDIR)$(BINDIR)/ocirun-init
	install -D -m 0755 ocirun-exec $(DESTDIR)$(BINDIR)/ocirun-exec
	install -D -m 0755 ocirun-systemd $(DESTDIR)$(BINDIR)/ocirun-systemd

rootfs:
	tests/rootfs.sh $(ROOTFS)

# The demo runs in a private mount namespace, like the tests, so nothing a
# runtime under development mounts can reach the host.
demo: build-deps
	$(MAKE) build
	@rm -rf $(DEMO_BUNDLE)
	@mkdir -p $(DEMO_BUNDLE)
	tests/rootfs.sh $(DEMO_BUNDLE)/rootfs
	cp config.sample.json $(DEMO_BUNDLE)/config.json
	@./ocirun delete --force $(DEMO_ID) >/dev/null 2>&1 || true
	unshare -m --propagation private ./ocirun run --bundle $(DEMO_BUNDLE) $(DEMO_ID)

install-deps:
	tests/install-deps.sh

build-deps:
	tests/install-deps.sh build

# Every stage runs even when an earlier one failed, so one CI run shows all
# results; the target fails if any stage did. test-v2 runs in its guest while
# the host stages run: it shares nothing with them once its binaries are
# copied (the prepare step), and its log is shown at the end.
test: install-deps
	failed=; \
	mkdir -p $(BUILD_DIR); \
	v2=; \
	if $(MAKE) build recvtty && tests/v2host/test-v2.sh prepare; then \
		{ tests/v2host/test-v2.sh run >$(BUILD_DIR)/test-v2.log 2>&1; echo $$? >$(BUILD_DIR)/test-v2.rc; } & v2=$$!; \
	else \
		failed="$$failed test-v2"; \
	fi; \
	$(MAKE) lint || failed="$$failed lint"; \
	$(MAKE) test-unit || failed="$$failed test-unit"; \
	$(MAKE) test-bats || failed="$$failed test-bats"; \
	$(MAKE) test-faults || failed="$$failed test-faults"; \
	$(MAKE) test-engines || failed="$$failed test-engines"; \
	$(MAKE) test-rootless || failed="$$failed test-rootless"; \
	if [ -f tests/conformance/run.sh ]; then \
		$(MAKE) conformance || failed="$$failed conformance"; \
	else \
		echo "conformance: tests/conformance/run.sh not present, skipped"; \
	fi; \
	if [ -n "$$v2" ]; then \
		wait $$v2 || true; \
		echo "---- test-v2 (cgroup v2 + systemd guest), from $(BUILD_DIR)/test-v2.log:"; \
		cat $(BUILD_DIR)/test-v2.log; \
		[ "$$(cat $(BUILD_DIR)/test-v2.rc 2>/dev/null)" = 0 ] || failed="$$failed test-v2"; \
	fi; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed" >&2; exit 1; fi

test-unit:
	$(GO) test ./...

# Static checks: formatting, go vet, staticcheck (pinned; fetched through
# the Go module proxy, not a dependency of the module), a tidy go.mod, and
# the C with every warning an error.
STATICCHECK_VERSION := v0.8.2
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "lint: gofmt would change: $$unformatted" >&2; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) mod tidy -diff

# bats runs in its own mount namespace. Its TAP output is summed up in one
# closing line and kept in build/bats-RUNTIME.tap; each run counts its own
# temporary copy, so concurrent runs do not mix their results.
test-bats: $(if $(OCIRUN),,build) recvtty
	@mkdir -p $(BUILD_DIR)
	st=0; tap=$$(mktemp $(BUILD_DIR)/bats.XXXXXX); \
	$(if $(OCIRUN),OCIRUN='$(OCIRUN)') unshare -m --propagation private \
		bats --tap $(BATS_FLAGS) tests/bats </dev/null | tee $$tap || st=$$?; \
	pass=$$(grep -Ec '^ok ' $$tap || true); \
	skip=$$(grep -Ec '^ok .* # skip' $$tap || true); \
	fail=$$(grep -Ec '^not ok ' $$tap || true); \
	mv -f $$tap $(BUILD_DIR)/bats-$(notdir $(or $(OCIRUN),ocirun)).tap; \
	echo "bats: $$((pass - skip)) passed, $$fail failed, $$skip skipped"; \
	exit $$st

# The runtime killed at sampled syscalls, fed failing syscalls, damaged
# state and mutated configs; then delete --force must clear everything
# (tests/faults/run.sh). FAULTS_RUNTIME=runc runs the same cases against
# runc, only reporting. Short fuzzing runs of the config translation, of
# the generated config.json decoder against encoding/json and of the
# generated encoders' strings come first.
FAULTS_RUNTIME ?=
FUZZTIME ?= 15s
test-faults: $(if $(FAULTS_RUNTIME),,build)
	nice $(GO) test -run '^$$' -fuzz '^FuzzToConfig$$' -fuzztime $(FUZZTIME) ./specconv
	nice $(GO) test -run '^$$' -fuzz '^FuzzFastDecode$$' -fuzztime $(FUZZTIME) ./specconv
	nice $(GO) test -run '^$$' -fuzz '^FuzzStringMatchesEncodingJSON$$' -fuzztime $(FUZZTIME) ./libcontainer/jsonfast/jwriter
	GO=$(GO) $(if $(FAULTS_RUNTIME),FAULT_STRICT=0) nice unshare -m --propagation private \
		tests/faults/run.sh $(or $(FAULTS_RUNTIME),$(CURDIR)/ocirun)

# Real engines drive the runtime: podman + conmon, containerd (ctr, CRI) and
# go-runc. RUNTIME=runc runs the same scenarios against runc.
# ENGINES_FILTER is a regex ('podman/|cri/'): it reaches run.sh as one
# argument, quoted for the shell.
ENGINES_FILTER ?=
test-engines: $(if $(RUNTIME),,build)
	tests/engines/run.sh $(call shell-quote,$(ENGINES_FILTER))

# The runtime run by an unprivileged user: tests/rootless/run.sh makes a
# throwaway account with subordinate ids and a delegated cgroup, and runs
# bats files of tests/bats (OCIRUN_ROOTLESS=1) and rootless podman as that
# account. OCIRUN=runc runs the same against runc; ROOTLESS_FILES names the
# bats files (relative to the repository) instead of the default list.
ROOTLESS_FILES ?=
test-rootless: $(if $(OCIRUN),,build) recvtty
	$(if $(OCIRUN),OCIRUN='$(OCIRUN)') tests/rootless/run.sh $(ROOTLESS_FILES)

# shell-quote: $(1) as one single-quoted shell word.
shell-quote = '$(subst ','\'',$(1))'

# The suites that need a pure cgroup v2 host with systemd as PID 1, in a
# Debian guest under qemu (tests/v2host/README.md): the guest image is built
# once per machine (a few minutes) and cached in /var/tmp/ocirun-guest.
# OCIRUN=runc runs them against the guest's runc.
test-v2: build recvtty
	tests/v2host/test-v2.sh

# The OCI validation suite; CONFORMANCE_TESTS names single programs.
conformance: $(if $(RUNTIME),,build)
	bash tests/conformance/run.sh $(CONFORMANCE_TESTS)

bench:
	@if [ -f bench/bench.sh ]; then \
		bash bench/bench.sh; \
	else \
		echo "bench: bench/bench.sh not present yet"; \
	fi

# Refuse to delete anything under build/ that is still a mount point.
clean:
	@if grep -qF ' $(CURDIR)/$(BUILD_DIR)' /proc/self/mountinfo; then \
		echo "clean: something under $(BUILD_DIR) is mounted; not removing it" >&2; \
		exit 1; \
	fi
	rm -rf $(BUILD_DIR) tests/engines/build tests/engines/results
	rm -f ocirun ocirun-init ocirun-exec ocirun-systemd $(RECVTTY)
