# Two commands on a fresh Debian 12 machine (as root, or with sudo):
#   make run    install missing packages, build (release), run the flagship scenario
#   make test   install missing packages, build (dev: warnings as errors), run every test
# Also: make asan (tests under AddressSanitizer + UBSan), make bench (performance figures),
# make fuzz (libFuzzer on the scenario loader, FUZZ_SECONDS=60), make plots (figures from the
# PLOT_SCENARIOS into docs/figures/, docs/plots.md), make clean.

PACKAGES := build-essential cmake ninja-build git \
            libboost-graph-dev libeigen3-dev libtbb-dev libyaml-cpp-dev doctest-dev libfmt-dev libcli11-dev \
            python3-matplotlib libopenmpi-dev openmpi-bin
FLAGSHIP := scenarios/weaker-chip-bigger-cluster.yaml
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SUDO     := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

FUZZ_SECONDS ?= 60
# Scenarios that take longer than the 10 s per input allowed under the sanitizers (plan searches on
# thousands of chips, 10,000-row sweeps, reliability-goodput's 16,384-GPU jobs: 17 s): not seeds; their sections
# are in tests/data/good.
FUZZ_SLOW    := scenarios/training-% scenarios/weaker-chip-bigger-cluster.yaml scenarios/study-% scenarios/sweep-% \
                scenarios/reliability-goodput.yaml

# make plots: any results CSV into the standard figures (docs/plots.md): the scenarios to run, the figures'
# directory, extra arguments for docs/plots/plot_results.py (e.g. PLOT_ARGS="--series chip"), and Debian's
# python3 (python3-matplotlib).
PLOT_SCENARIOS ?= scenarios/study-scaling.yaml
PLOTS_DIR      ?= out/plots/figures
PLOT_ARGS      ?=
PYTHON3        ?= /usr/bin/python3
CLUSTERSIM     := ./build/release/sim/app/clustersim

.PHONY: deps run test asan bench fuzz plots figures figures-check build-release build-dev clean

# Installs only what is missing; does nothing (and needs no network) when all is there.
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build-release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

build-dev: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

run: build-release
	./build/release/sim/app/clustersim run $(FLAGSHIP) -o out/weaker-chip-bigger-cluster

test: build-dev
	ctest --preset dev -j $(JOBS)

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: build-release
	./build/release/bench/sweep_bench
	./build/release/bench/chip_bench
	./build/release/bench/topo_bench
	./build/release/bench/comm_bench
	./build/release/bench/preset_bench
	./build/release/bench/train_bench
	bench/sweep_resume.sh build/release/sim/app/clustersim

# Runs PLOT_SCENARIOS (one results.csv for all) and draws the standard figures from it (docs/plots.md).
plots: build-release
	$(CLUSTERSIM) run -q $(PLOT_SCENARIOS) -o out/plots
	$(PYTHON3) docs/plots/plot_results.py out/plots/results.csv --out $(PLOTS_DIR) $(PLOT_ARGS)

# The report's figures (docs/weaker-chip-bigger-cluster.md): each study scenario's results.csv and run.json
# into docs/figures/NAME/, and the figures drawn from them. figures-check reruns the scenarios and checks
# that the committed CSVs are reproduced byte for byte (tests/figures_test.sh checks their inputs' hashes).
figures: build-release
	$(CLUSTERSIM) --catalog models run -q scenarios/study-scaling.yaml -o docs/figures/scaling
	$(PYTHON3) docs/plots/plot_results.py docs/figures/scaling/results.csv --out docs/figures/scaling --series case
	$(CLUSTERSIM) --catalog models run -q scenarios/weaker-chip-bigger-cluster.yaml -o docs/figures/flagship
	$(PYTHON3) docs/plots/plot_results.py docs/figures/flagship/results.csv --out docs/figures/flagship \
	  --where base_case=gb200_racks --where base_case=cloudmatrix_supernodes --reference gb200_racks --candidate cloudmatrix_supernodes

figures-check: build-release
	$(CLUSTERSIM) run -q scenarios/study-scaling.yaml -o out/figures-check/scaling
	$(CLUSTERSIM) run -q scenarios/weaker-chip-bigger-cluster.yaml -o out/figures-check/flagship
	cmp docs/figures/scaling/results.csv out/figures-check/scaling/results.csv
	cmp docs/figures/flagship/results.csv out/figures-check/flagship/results.csv
	@echo "the report's CSVs are reproduced byte for byte"

# Fuzzes the scenario loader for FUZZ_SECONDS (needs clang and libclang-rt-14-dev), seeded with
# the project's scenarios and malformed test files; crashing inputs land in build/fuzz/crashes/.
fuzz: deps
	@command -v clang++ >/dev/null && dpkg-query -W -f='$${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed' || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev; }
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS) --target scenario_fuzz
	mkdir -p build/fuzz/corpus build/fuzz/crashes
	cp $(filter-out $(FUZZ_SLOW),$(wildcard scenarios/*.yaml)) tests/data/bad/*.yaml tests/data/good/*.yaml build/fuzz/corpus/
	./build/fuzz/tests/fuzz/scenario_fuzz build/fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	  -timeout=10 -artifact_prefix=build/fuzz/crashes/ -print_final_stats=1

clean:
	rm -rf build out
