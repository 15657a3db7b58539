# The two commands of the README's quick start, over the CMake presets.
#   make run   installs missing Debian packages, builds (release) and runs the DeepSeek-V3 job
#   make validate  builds (release) and sets every measured run of validation/ beside trainsim's
#              figure (`trainsim validation`); a check, not part of `make test`
#   make test  installs, builds and runs the whole test suite twice: release, then the dev
#              preset under AddressSanitizer + UndefinedBehaviorSanitizer; under CI=true it also
#              runs each libFuzzer target for 30 s (scripts/fuzz); sources must be clang-formatted
#              (scripts/check-format). .ci/run calls exactly this.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= scenarios/deepseek-v3.yaml
OUT ?= out/deepseek-v3

.PHONY: deps build run validate test bench clean

deps:
	@bash scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	./build/release/cli/trainsim run $(SCENARIO) --out $(OUT)

validate: build
	./build/release/cli/trainsim validation validation

test: deps
	bash scripts/check-format
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS)
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)
	@if [ "$${CI:-}" = "true" ]; then FUZZ_SECONDS=$${FUZZ_SECONDS:-30} bash scripts/fuzz; fi

bench: build
	bash scripts/run-benchmarks

clean:
	rm -rf build out
