// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of GUEST_MEMFD_FLAG_NO_DIRECT_MAP: fallocate() population, and
 * first-touch guest faults on unpopulated and on fallocate()d memory, of the
 * same amount of guest_memfd memory with and without the flag, measured side
 * by side in one run (alternating, median of several rounds).
 *
 * usage: gmem_no_direct_map_bench [-m MiB] [-r rounds]
 *
 * Architectures: x86, arm64
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "bench_util.h"

#define BENCH_GPA	SZ_4G
#define BENCH_SLOT	1

/* The host's and the guest's page size (arm64 has no PAGE_SIZE here). */
static size_t page_size;

static u64 bench_fallocate(size_t size, u64 flags)
{
	struct kvm_vm *vm = vm_create_barebones();
	int fd = vm_create_guest_memfd(vm, size, flags);
	u64 t0, t;

	t0 = now_ns();
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size), "fallocate");
	t = now_ns() - t0;

	close(fd);
	kvm_vm_free(vm);
	return t;
}

static void guest_touch(u64 gva, u64 size, u64 step)
{
	u64 off;

	for (off = 0; off < size; off += step)
		*(volatile u64 *)(gva + off) = off;
	GUEST_DONE();
}

static u64 bench_faults(size_t size, enum vm_mem_backing_src_type src,
			bool populate)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 t0, t;

	vm = __vm_create_shape_with_one_vcpu(VM_SHAPE_DEFAULT, &vcpu,
					     size / page_size, guest_touch);
	vm_userspace_mem_region_add(vm, src, BENCH_GPA, BENCH_SLOT,
				    size / page_size, 0);
	virt_map(vm, BENCH_GPA, BENCH_GPA, size / page_size);
	vcpu_args_set(vcpu, 3, (u64)BENCH_GPA, (u64)size, (u64)page_size);
	if (populate)
		TEST_ASSERT(!fallocate(memslot2region(vm, BENCH_SLOT)->region.guest_memfd,
				       FALLOC_FL_KEEP_SIZE, 0, size), "fallocate");

	t0 = now_ns();
	vcpu_run(vcpu);
	t = now_ns() - t0;
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);

	kvm_vm_free(vm);
	return t;
}

int main(int argc, char *argv[])
{
	const u64 base = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	u64 pop[2][16], flt[2][16], pfl[2][16], p[2], f[2], pf[2];
	size_t size = 256ul << 20;
	int rounds = 3, opt, i, m;

	page_size = getpagesize();

	while ((opt = getopt(argc, argv, "m:r:")) != -1) {
		switch (opt) {
		case 'm':
			size = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			printf("usage: %s [-m MiB] [-r rounds]\n", argv[0]);
			return 1;
		}
	}
	TEST_ASSERT(rounds > 0 && rounds <= 16, "1..16 rounds");
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) &
		     GUEST_MEMFD_FLAG_NO_DIRECT_MAP);

	printf("guest_memfd of %zu MiB, %d rounds, alternating plain / NO_DIRECT_MAP\n",
	       size >> 20, rounds);
	for (i = 0; i < rounds; i++) {
		for (m = 0; m < 2; m++) {
			/* Alternate the order so neither always goes first. */
			int mode = (i & 1) ? !m : m;

			pop[mode][i] = bench_fallocate(size, base |
				(mode ? GUEST_MEMFD_FLAG_NO_DIRECT_MAP : 0));
			flt[mode][i] = bench_faults(size, mode ?
				VM_MEM_SRC_GUEST_MEMFD_NO_DIRECT_MAP :
				VM_MEM_SRC_GUEST_MEMFD, false);
			pfl[mode][i] = bench_faults(size, mode ?
				VM_MEM_SRC_GUEST_MEMFD_NO_DIRECT_MAP :
				VM_MEM_SRC_GUEST_MEMFD, true);
		}
		printf("  round %d (plain / NO_DIRECT_MAP): fallocate %.1f / %.1f ms, faults %.1f / %.1f ms, faults after fallocate %.1f / %.1f ms\n",
		       i, pop[0][i] / 1e6, pop[1][i] / 1e6, flt[0][i] / 1e6,
		       flt[1][i] / 1e6, pfl[0][i] / 1e6, pfl[1][i] / 1e6);
	}
	for (m = 0; m < 2; m++) {
		p[m] = median(pop[m], rounds);
		f[m] = median(flt[m], rounds);
		pf[m] = median(pfl[m], rounds);
	}

	printf("fallocate population (median): plain %.1f ms, NO_DIRECT_MAP %.1f ms\n",
	       p[0] / 1e6, p[1] / 1e6);
	printf("first-touch guest faults (median, %zu pages): plain %.1f ms (%.2f us/page), NO_DIRECT_MAP %.1f ms (%.2f us/page)\n",
	       size / page_size, f[0] / 1e6, f[0] / 1e3 / (size / page_size),
	       f[1] / 1e6, f[1] / 1e3 / (size / page_size));
	printf("first-touch guest faults after fallocate (median): plain %.1f ms, NO_DIRECT_MAP %.1f ms\n",
	       pf[0] / 1e6, pf[1] / 1e6);
	printf("RATIO population NO_DIRECT_MAP/plain: %.2f\n", (double)p[1] / p[0]);
	printf("RATIO first-touch faults NO_DIRECT_MAP/plain: %.2f\n", (double)f[1] / f[0]);
	printf("RATIO first-touch faults after fallocate NO_DIRECT_MAP/plain: %.2f\n",
	       (double)pf[1] / pf[0]);
	return 0;
}
