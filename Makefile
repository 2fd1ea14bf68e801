# Convenience wrapper around CMake + ctest. `make` builds, `make test` runs
# every test, `make asan` builds and tests under ASan+UBSan, `make demo`
# installs dependencies, builds and serves the example model.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all build test asan demo deps clean conformance

all: build

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j 2 $(CTEST_ARGS)

asan:
	$(MAKE) test BUILD=build-asan CMAKE_ARGS="-DAXON_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)"

deps:
	bash scripts/install-deps.sh

demo: deps build
	bash scripts/demo.sh

conformance: build
	bash scripts/conformance.sh

clean:
	rm -rf build build-asan build-fuzz
