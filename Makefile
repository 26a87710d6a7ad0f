# tamnong: build, test, demo, bench. GNU make; flags from pkg-config.
# `make` builds build/tamnongd and build/tamnong. Generated protobuf code goes
# to $(BUILD)/gen and is never committed.

BUILD    ?= build
PKGS     := libuv libpq openssl libprotobuf-c sqlite3 jansson libsodium
CC       ?= cc
PROTOC_C ?= protoc-c

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-align -Wwrite-strings -Wvla -Wnull-dereference \
            -Wno-unused-parameter
OPT      ?= -O2 -g
SAN      ?=
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) -I$(BUILD)/gen -Icommon $(PKG_CFLAGS) \
             -DTAMNONG_VERSION='"$(VERSION)"' -DLOCALEDIR='"$(LOCALEDIR)"' $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm $(LDLIBS)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
LOCALEDIR ?= $(abspath $(BUILD))/locale
PREFIX   ?= /usr/local

PROTOS     := $(wildcard proto/*.proto)
GEN_C      := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H      := $(GEN_C:.c=.h)
COMMON_SRC := $(wildcard common/*.c)
SERVER_SRC := $(wildcard server/*.c)
CLIENT_SRC := $(wildcard client/*.c)
COMMON_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRC)) $(GEN_C:.c=.o)
SERVER_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(SERVER_SRC))
CLIENT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLIENT_SRC))
# Everything of a program but its main(), so unit tests can link the modules.
SERVER_LIB := $(filter-out $(BUILD)/obj/server/main.o,$(SERVER_OBJ))
CLIENT_LIB := $(filter-out $(BUILD)/obj/client/main.o,$(CLIENT_OBJ))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
PO_FILES   := $(wildcard po/*.po)
MO_FILES   := $(patsubst po/%.po,$(LOCALEDIR)/%/LC_MESSAGES/tamnong.mo,$(PO_FILES))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps test unit integration asan fuzz fuzz-replay demo bench format format-check \
        clean install pot check-po
.SECONDARY:

all: $(BUILD)/tamnongd $(BUILD)/tamnong $(MO_FILES)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) -Iproto --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	$(CC) $(filter-out -Wcast-align -Wmissing-prototypes,$(ALL_CFLAGS)) -MMD -c -o $@ $<

$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tamnongd: $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tamnong: $(CLIENT_OBJ) $(COMMON_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(SERVER_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iserver -Iclient -Itests/unit -o $@ $< $(COMMON_OBJ) $(SERVER_LIB) \
	    $(CLIENT_LIB) $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(COMMON_OBJ) $(LDLIBS_ALL) -lpthread

$(LOCALEDIR)/%/LC_MESSAGES/tamnong.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# --- dependencies -------------------------------------------------------------
deps:
	deploy/install-deps.sh

# --- tests ----------------------------------------------------------------------
# `make test` works on a fresh Debian 12 machine as root: it installs what is
# missing, builds, then runs unit and integration tests (which start their own
# PostgreSQL, PKI and server) and prints "N passed, N failed".
test:
	deploy/install-deps.sh --if-missing
	$(MAKE) all unit-bins bench-bins
	BUILD=$(BUILD) tests/run.sh

unit-bins: $(UNIT_BIN)
bench-bins: $(BENCH_BIN)

unit: unit-bins
	BUILD=$(BUILD) tests/run.sh unit

integration: all
	BUILD=$(BUILD) tests/run.sh integration

# Same tests, binaries built with AddressSanitizer and UBSan into build/asan.
asan:
	deploy/install-deps.sh --if-missing
	$(MAKE) BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' all unit-bins
	BUILD=build/asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

# libFuzzer over frame + envelope decoding; `make fuzz-replay` runs the corpus once.
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
             -I$(BUILD)/fuzz/gen -Icommon $(PKG_CFLAGS)
$(BUILD)/fuzz/fuzz_envelope: tests/fuzz/fuzz_envelope.c common/frame.c common/envelope.c \
                             common/buf.c $(GEN_C) common/frame.h common/envelope.h common/buf.h
	@mkdir -p $(BUILD)/fuzz/gen && cp $(GEN_H) $(BUILD)/fuzz/gen/
	clang $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
# New inputs go to $(BUILD)/fuzz/corpus, crashes to $(BUILD)/fuzz/ (never the tree).
fuzz: $(BUILD)/fuzz/fuzz_envelope
	mkdir -p $(BUILD)/fuzz/corpus
	$< -max_total_time=$${FUZZ_SECONDS:-60} -artifact_prefix=$(BUILD)/fuzz/ \
	    $(BUILD)/fuzz/corpus tests/fuzz/corpus
fuzz-replay: $(BUILD)/fuzz/fuzz_envelope
	$< -runs=0 -artifact_prefix=$(BUILD)/fuzz/ tests/fuzz/corpus

demo:
	deploy/install-deps.sh --if-missing
	$(MAKE) all
	BUILD=$(BUILD) deploy/demo.sh

bench:
	deploy/install-deps.sh --if-missing
	$(MAKE) all bench-bins
	BUILD=$(BUILD) bench/run.sh

# --- gettext --------------------------------------------------------------------
pot:
	xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 --add-comments=TRANSLATORS \
	    -o po/tamnong.pot client/*.c common/*.c
check-po:
	tests/check-po.sh

# --- formatting -----------------------------------------------------------------
C_FILES = $(wildcard common/*.[ch] server/*.[ch] client/*.[ch] tests/unit/*.[ch] \
                     tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(C_FILES)
format-check:
	clang-format --dry-run --Werror $(C_FILES)

install: all
	install -D -m 0755 $(BUILD)/tamnongd $(DESTDIR)$(PREFIX)/sbin/tamnongd
	install -D -m 0755 $(BUILD)/tamnong $(DESTDIR)$(PREFIX)/bin/tamnong
	for mo in $(MO_FILES); do l=$$(basename $$(dirname $$(dirname $$mo))); \
	    install -D -m 0644 $$mo $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/tamnong.mo; done

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
