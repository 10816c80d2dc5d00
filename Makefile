# siploc build: `make run` runs the conformance scenarios against ref, `make check` runs
# every test, `make asan` does the same under ASan+UBSan. Dependencies come from scripts/deps.sh.

BUILD   ?= build
CC      ?= gcc
OPT     ?= -O2
SAN     ?=
PKGS    := lua5.4 libpcap ldns jansson openssl
WERROR  ?= -Werror
CFLAGS  := -std=gnu11 $(OPT) -g -Wall -Wextra $(WERROR) -fno-common -D_GNU_SOURCE \
           -I. -Iharness -Ifake_dns -Ireports -Isut_adapters $(SAN) $(EXTRA_CFLAGS)
LDFLAGS := $(SAN)
SIPLOC_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
SIPLOC_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
REF_LIBS := $(shell pkg-config --libs ldns libssl libcrypto 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# The harness library: everything but the CLI entry point, so unit tests link the same code.
CORE_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c)) $(wildcard fake_dns/*.c) \
            $(wildcard reports/*.c) sut_adapters/sut_proto.c
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
REF_SRC  := $(wildcard sut_adapters/ref/*.c)
# Mutants: one seeded bug each, selected by -DREF_MUTANT=<n>; the table lives in
# sut_adapters/ref/mutants.tsv (name, id, requirement IDs broken, description).
MUTANTS  := $(shell awk -F'\t' '!/^#/ && NF>=3 {print $$1}' sut_adapters/ref/mutants.tsv 2>/dev/null)
ADAPTERS := $(BUILD)/adapters/ref.so $(MUTANTS:%=$(BUILD)/adapters/mutant-%.so) \
            $(patsubst sut_adapters/test/%.c,$(BUILD)/adapters/test-%.so,$(wildcard sut_adapters/test/*.c))
ADAPTERS += $(BUILD)/adapters/exec.so
# The libre adapter (docs/conformance.md) builds only where pkg-config finds libre.
LIBRE_VERSION := $(shell pkg-config --modversion libre 2>/dev/null)
ADAPTERS += $(if $(LIBRE_VERSION),$(BUILD)/adapters/libre.so)
# sofia-sip (nta), likewise only where pkg-config finds it; its version is Debian's.
SOFIA_PC := $(shell pkg-config --exists sofia-sip-ua 2>/dev/null && echo yes)
SOFIA_VERSION := $(shell dpkg-query -W -f='$${Version}' libsofia-sip-ua-dev 2>/dev/null || \
                   pkg-config --modversion sofia-sip-ua 2>/dev/null)
ADAPTERS += $(if $(SOFIA_PC),$(BUILD)/adapters/sofia.so)
# kamailio (daemon adapter), two SUTs from one source, where the binary is installed.
KAMAILIO_BIN := $(shell command -v kamailio 2>/dev/null || ls /usr/sbin/kamailio 2>/dev/null)
KAMAILIO_VERSION := $(shell dpkg-query -W -f='$${Version}' kamailio 2>/dev/null)
ADAPTERS += $(if $(KAMAILIO_BIN),$(BUILD)/adapters/kamailio.so $(BUILD)/adapters/kamailio-rfc.so \
              $(BUILD)/lib/siploc-itimer.so)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
REF_UNIT_SRC := $(wildcard tests/unit/ref/test_*.c)
REF_UNIT_BIN := $(REF_UNIT_SRC:tests/unit/ref/%.c=$(BUILD)/tests/ref_%)

.PHONY: all adapters deps build-all build-targets mutant-targets run check unit e2e asan clean mutants fuzz fuzz-build flake valgrind conformance
all: deps
	@$(MAKE) --no-print-directory adapters
adapters: $(BUILD)/siploc $(BUILD)/siploc-sut $(ADAPTERS)

deps:
	@bash scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(wildcard */*.h sut_adapters/ref/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(SIPLOC_CFLAGS) -c $< -o $@

$(BUILD)/siploc: $(BUILD)/obj/harness/main.o $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(SIPLOC_LIBS)

# The runner links no harness code: a SUT sees the world only through the network.
$(BUILD)/siploc-sut: sut_adapters/runner.c sut_adapters/sut_proto.c sut_adapters/sut_adapter.h \
                    sut_adapters/sut_proto.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ sut_adapters/runner.c sut_adapters/sut_proto.c $(LDFLAGS) -ldl

$(BUILD)/adapters/ref.so: $(REF_SRC) $(wildcard sut_adapters/ref/*.h) sut_adapters/sut_adapter.h
	@mkdir -p $(dir $@)
	@echo "  SO      $@"
	@$(CC) $(CFLAGS) -fPIC -shared -o $@ $(REF_SRC) $(LDFLAGS) $(REF_LIBS)

$(BUILD)/adapters/mutant-%.so: $(REF_SRC) $(wildcard sut_adapters/ref/*.h) sut_adapters/ref/mutants.tsv
	@mkdir -p $(dir $@)
	@echo "  SO      $@"
	@$(CC) $(CFLAGS) -fPIC -shared \
	  -DREF_MUTANT="\"$*\"" -o $@ $(REF_SRC) $(LDFLAGS) $(REF_LIBS)

$(BUILD)/adapters/test-%.so: sut_adapters/test/%.c sut_adapters/sut_adapter.h sut_adapters/daemon/sut_daemon.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< $(LDFLAGS)

# The exec adapter: runs --sut exec:'CMD' once per request (docs/adapters.md).
$(BUILD)/adapters/exec.so: sut_adapters/exec/exec.c sut_adapters/sut_adapter.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< $(LDFLAGS)

# A real stack: libre (baresip/re) driven through its own sip_request() (sut_adapters/libre).
$(BUILD)/adapters/libre.so: sut_adapters/libre/libre_adapter.c sut_adapters/sut_adapter.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libre) -DLIBRE_PC_VERSION='"$(LIBRE_VERSION)"' \
	  -fPIC -shared -o $@ $< $(LDFLAGS) $(shell pkg-config --libs libre)

# sofia-sip's nta driven one nta_outgoing per request (sut_adapters/sofia).
$(BUILD)/adapters/sofia.so: sut_adapters/sofia/sofia_adapter.c sut_adapters/sut_adapter.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags sofia-sip-ua) -DSOFIA_PC_VERSION='"$(SOFIA_VERSION)"' \
	  -fPIC -shared -o $@ $< $(LDFLAGS) $(shell pkg-config --libs sofia-sip-ua)

# kamailio: `kamailio` (DNS as shipped) and `kamailio-rfc` (-DKAM_PROFILE_RFC).
KAM_DEPS := sut_adapters/kamailio/kamailio_adapter.c sut_adapters/sut_adapter.h \
            sut_adapters/daemon/sut_daemon.h
# libfaketime does not speed up setitimer(): this shim does, for kamailio's ticks.
# Never sanitized: it is preloaded into kamailio, which has no ASan runtime.
$(BUILD)/lib/siploc-itimer.so: sut_adapters/kamailio/kam_itimer.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(CFLAGS)) -fPIC -shared -o $@ $< -ldl
$(BUILD)/adapters/kamailio.so: $(KAM_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DKAM_VERSION='"$(KAMAILIO_VERSION)"' -fPIC -shared -o $@ $< $(LDFLAGS)
$(BUILD)/adapters/kamailio-rfc.so: $(KAM_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DKAM_PROFILE_RFC -DKAM_VERSION='"$(KAMAILIO_VERSION)"' -fPIC -shared \
	  -o $@ $< $(LDFLAGS)

mutants: deps
	@$(MAKE) --no-print-directory mutant-targets
mutant-targets: $(MUTANTS:%=$(BUILD)/adapters/mutant-%.so)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) $(SIPLOC_CFLAGS) -o $@ $^ $(LDFLAGS) $(SIPLOC_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/ref_%: tests/unit/ref/%.c $(REF_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isut_adapters/ref -DREF_UNIT_TEST -o $@ $^ $(LDFLAGS) $(REF_LIBS) $(CMOCKA_LIBS)

run: build-all
	$(BUILD)/siploc run --out out

# Everything the tests need, built in parallel (40-odd mutants are 40-odd links).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The list is expanded by the sub-make, which reads this file after deps ran: on a fresh
# machine the stacks' pkg-config lookups above found nothing when this make started.
build-all: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build-targets
build-targets: $(BUILD)/siploc $(BUILD)/siploc-sut $(ADAPTERS) $(UNIT_BIN) $(REF_UNIT_BIN)

unit: build-all
	@bash tests/run_unit.sh $(UNIT_BIN) $(REF_UNIT_BIN)

e2e: build-all
	@BUILD=$(BUILD) bash tests/e2e/run.sh

check: unit e2e

# Reruns the corpus on every real stack and rewrites docs/conformance.md (review, commit).
conformance: build-all
	@BUILD=$(BUILD) STACKS_WRITE=1 bash tests/e2e/test_stacks.sh

# Same tests under ASan+UBSan, in a separate build tree. Reports go to files as well, so
# a finding in a process whose exit status nobody reads (a worker, the SUT runner) still
# fails the target.
SANLOG := $(abspath build-asan)/sanitizer
# Every mutant is caught in the plain build (make check); under the sanitizers they are
# ref's own code again, so test_mutants runs every sixth of them (about a dozen, each
# seeded bug in a different part of ref). All are still built: other tests use some.
ASAN_MUTANTS := $(shell awk -F'\t' '!/^\#/ && NF>=3 && n++ % 6 == 0 {print $$1}' sut_adapters/ref/mutants.tsv 2>/dev/null)
asan:
	@rm -rf $(SANLOG) && mkdir -p $(SANLOG)
	ASAN_OPTIONS=log_path=$(SANLOG)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(SANLOG)/ubsan:print_stacktrace=1:halt_on_error=1 \
	MUTANTS_ONLY="$(ASAN_MUTANTS)" $(MAKE) BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check
	@if [ -n "$$(ls -A $(SANLOG))" ]; then \
	  echo "sanitizer reports:"; cat $(SANLOG)/*; exit 1; fi
	@echo "asan: no sanitizer reports"

# Flake gate: the corpus FLAKE_RUNS times; any verdict that differs between runs fails.
FLAKE_RUNS ?= 20
flake: build-all
	@BUILD=$(BUILD) bash tests/flake.sh $(FLAKE_RUNS)

# valgrind memcheck over a representative subset of the harness (tests/valgrind.sh).
valgrind: build-all
	@BUILD=$(BUILD) bash tests/valgrind.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c) over the harness objects, built by clang with
# ASan+UBSan in build-fuzz/; each runs FUZZ_SECONDS on its seed corpus.
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CC) $(CFLAGS) $(SIPLOC_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDFLAGS) $(SIPLOC_LIBS)
fuzz-build: $(FUZZ_BIN)
fuzz: deps
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 WERROR= \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  fuzz-build
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz out
