// SPDX-License-Identifier: GPL-2.0-only
/*
 * The direct map's page sizes around NO_DIRECT_MAP guest_memfd memory:
 * 64M of it, fallocate()d or faulted in page by page, leaves the direct map
 * in whole 2M blocks (DirectMap4k grows by at most one 2M region, for a
 * fallback to single pages), taking the file down splits nothing (the
 * blocks come back whole, so DirectMap4k does not grow while they do), and
 * once the memory is freed the direct map is back in the page sizes it had
 * before (the kernel re-forms large pages a second after pages come back).
 *
 * These are system-wide /proc/meminfo figures, which any other activity on
 * the machine changes: a workspace check for an otherwise idle test VM,
 * not a kernel selftest.
 *
 * usage: gmem_direct_map_sizes [-m MiB]
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"

#include "direct_map_util.h"

static void check(struct kvm_vm *vm, size_t size, bool populate)
{
	const u64 flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED |
			  GUEST_MEMFD_FLAG_NO_DIRECT_MAP;
	struct direct_map_sizes before, in_use, freed, after;
	size_t off, psize = getpagesize();
	char *mem;
	int fd;

	/* Let the collapse of what earlier tests freed finish. */
	sleep(3);
	before = direct_map_sizes();

	fd = vm_create_guest_memfd(vm, size, flags);
	if (populate)
		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size), "fallocate");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	for (off = 0; off < size; off += psize)
		WRITE_ONCE(*(u64 *)(mem + off), off);
	for (off = 0; off < size; off += psize)
		TEST_ASSERT_EQ(READ_ONCE(*(u64 *)(mem + off)), off);
	in_use = direct_map_sizes();

	munmap(mem, size);
	close(fd);
	freed = direct_map_sizes();
	after = direct_map_wait(before, 15);

	printf("%zu MiB of NO_DIRECT_MAP memory, %s: DirectMap4k/2M/1G %ld/%ld/%ld kB before, %ld/%ld/%ld in use, %ld/%ld/%ld just freed, %ld/%ld/%ld after\n",
	       size >> 20, populate ? "fallocate()d" : "faulted in",
	       before.k4, before.m2, before.g1, in_use.k4, in_use.m2, in_use.g1,
	       freed.k4, freed.m2, freed.g1, after.k4, after.m2, after.g1);
	TEST_ASSERT(in_use.k4 - before.k4 <= 2048,
		    "DirectMap4k grew by %ld kB with %zu MiB of NO_DIRECT_MAP memory in use",
		    in_use.k4 - before.k4, size >> 20);
	TEST_ASSERT(freed.k4 <= in_use.k4,
		    "DirectMap4k grew by %ld kB while the memory was freed",
		    freed.k4 - in_use.k4);
	TEST_ASSERT(direct_map_sizes_equal(after, before),
		    "direct map page sizes not back 15 s after the memory was freed");
}

int main(int argc, char *argv[])
{
	size_t size = 64ul << 20;
	struct kvm_vm *vm;
	int opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt != 'm') {
			printf("usage: %s [-m MiB]\n", argv[0]);
			return 1;
		}
		size = strtoul(optarg, NULL, 0) << 20;
	}
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	if (meminfo_field("/proc/meminfo", "DirectMap2M") <= 0)
		ksft_exit_skip("no DirectMap2M in /proc/meminfo\n");

	vm = vm_create_barebones();
	check(vm, size, true);
	check(vm, size, false);
	kvm_vm_free(vm);
	return 0;
}
