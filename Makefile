# SPDX-License-Identifier: GPL-2.0
# Series workspace: thin entry points; the work is done in scripts/.

S := scripts
CONFIG ?= test

.PHONY: help deps tree export kernel selftests check check-full check-debug checkpatch \
	run shell bench test-workspace bisect-check clean distclean

help:
	@echo "make run          build and boot the patched kernel, run the demonstration"
	@echo "make check        workspace tests, kernel, selftests, VM tests, checkpatch"
	@echo "make check SERIES=N   the stack up to series N builds and passes its tests"
	@echo "make check-full   the same with every x86 KVM selftest"
	@echo "make check-debug  tests/kvm.list on the debug kernel (KASAN, lockdep, ...)"
	@echo "make bench        benchmarks inside the test VM"
	@echo "make tree|export  build/linux from patches/ | patches/ from build/linux"
	@echo "make kernel [CONFIG=test|debug|modular]   make selftests   make shell"
	@echo "make checkpatch   make deps   make test-workspace   make bisect-check"

deps:
	@$(S)/deps.sh

tree:
	@$(S)/tree.sh

export:
	@$(S)/export.sh

kernel: tree
	@$(S)/deps.sh
	@$(S)/build-kernel.sh $(CONFIG)

selftests: tree
	@$(S)/build-selftests.sh

# SERIES=N: the stack up to series N of patches/series, and that series' tests.
check:
	@$(if $(SERIES),$(S)/check-series.sh $(SERIES),$(S)/check.sh)

check-full:
	@$(S)/check.sh full

check-debug:
	@$(S)/check.sh debug

checkpatch:
	@$(S)/checkpatch.sh

run:
	@$(S)/run.sh

shell:
	@$(S)/run.sh shell

bench:
	@$(S)/run.sh bench

test-workspace:
	@tests/workspace/run.sh

# Every commit of the series builds on its own (test and modular configs,
# and the test config with the series' option off, as a distribution may).
bisect-check: tree
	@$(S)/bisect-check.sh test modular off

clean:
	rm -rf build/kbuild-* build/selftests build/selftests-headers build/bisect-* build/extra build/*.log \
		build/*.cpio.gz build/*.txt

distclean:
	rm -rf build
