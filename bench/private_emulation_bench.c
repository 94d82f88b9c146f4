// SPDX-License-Identifier: GPL-2.0-only
/*
 * Throughput of KVM's instruction emulator on private memory of a
 * KVM_X86_SW_PROTECTED_VM: forced-emulation loads and stores to private
 * guest_memfd memory with GUEST_MEMFD_FLAG_NO_DIRECT_MAP (KVM goes through
 * mm-local mappings) versus without it (KVM goes through the direct map),
 * measured side by side in one run (alternating, median of several rounds).
 * Twice: with a working set that fits in KVM's window of mapped pages
 * (kvm.gmem_kmap_pages), and with one four times as large that the guest
 * walks page after page, so that every access evicts a page (the worst
 * case for the window), which gives the cost of an eviction.
 * Needs kvm.force_emulation_prefix=1.
 *
 * usage: private_emulation_bench [-n accesses] [-r rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "bench_util.h"
#include "fep_util.h"

#define PRIV_GPA	SZ_4G
#define PRIV_SLOT	1
#define SMALL_PAGES	64

static void guest_code(u64 n, u64 pages)
{
	u64 *p = (u64 *)PRIV_GPA, i, sum = 0;

	/* Fault everything in first, natively. */
	for (i = 0; i < pages * PAGE_SIZE / 8; i++)
		p[i] = i;
	GUEST_SYNC(0);

	/* 521 words: the next page every time, at another offset. */
	for (i = 0; i < n; i++) {
		u64 *q = &p[(i * 521) % (pages * PAGE_SIZE / 8)];

		if (i & 1)
			sum += fep_load(q);
		else
			fep_store(q, *q);
	}
	GUEST_SYNC(sum);
	GUEST_DONE();
}

static u64 run(u64 n, u64 pages, bool no_direct_map, u64 *evictions)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 t0, t;
	int fd;

	vm = vm_create_shape_with_one_vcpu(shape, &vcpu, guest_code);
	fd = vm_create_guest_memfd(vm, pages * PAGE_SIZE,
				   no_direct_map ? GUEST_MEMFD_FLAG_NO_DIRECT_MAP : 0);
	vm_mem_add(vm, VM_MEM_SRC_ANONYMOUS, PRIV_GPA, PRIV_SLOT, pages,
		   KVM_MEM_GUEST_MEMFD, fd, 0);
	virt_map(vm, PRIV_GPA, PRIV_GPA, pages);
	vm_mem_set_private(vm, PRIV_GPA, pages * PAGE_SIZE);
	vcpu_args_set(vcpu, 2, n, pages);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	*evictions = vm_get_stat(vm, gmem_kmap_evictions);

	t0 = now_ns();
	vcpu_run(vcpu);
	t = now_ns() - t0;
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);
	*evictions = vm_get_stat(vm, gmem_kmap_evictions) - *evictions;

	close(fd);
	kvm_vm_free(vm);
	return t;
}

/* Both modes side by side; returns the median times, and evictions per run. */
static void measure(u64 n, u64 pages, int rounds, u64 med[2], u64 *evictions)
{
	u64 t[2][16], ev[2] = {};
	int i, m;

	for (i = 0; i < rounds; i++) {
		for (m = 0; m < 2; m++) {
			int mode = (i & 1) ? !m : m;

			t[mode][i] = run(n, pages, mode, &ev[mode]);
		}
		TEST_ASSERT_EQ(ev[0], 0);
		printf("  %lu pages, round %d: direct map %.1f ms, NO_DIRECT_MAP (mm-local) %.1f ms, %lu evictions\n",
		       pages, i, t[0][i] / 1e6, t[1][i] / 1e6, ev[1]);
	}
	for (m = 0; m < 2; m++)
		med[m] = median(t[m], rounds);
	*evictions = ev[1];
}

int main(int argc, char *argv[])
{
	u64 small[2], large[2], n = 20000, window, large_pages, ev_small, ev_large;
	int rounds = 3, opt;
	struct kvm_vm *vm;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			printf("usage: %s [-n accesses] [-r rounds]\n", argv[0]);
			return 1;
		}
	}
	TEST_ASSERT(rounds > 0 && rounds <= 16, "1..16 rounds");
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM));
	TEST_REQUIRE(is_forced_emulation_enabled);
	vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_GUEST_MEMFD_FLAGS) &
		     GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	kvm_vm_free(vm);

	window = get_kvm_param_integer("gmem_kmap_pages");
	large_pages = 4 * window;
	TEST_ASSERT(window > SMALL_PAGES, "kvm.gmem_kmap_pages = %lu", window);

	printf("%lu forced-emulation accesses (loads and stores) to private memory, %d rounds, window of %lu pages\n",
	       n, rounds, window);
	measure(n, SMALL_PAGES, rounds, small, &ev_small);
	measure(n, large_pages, rounds, large, &ev_large);

	printf("emulated accesses per second (median), %d pages: direct map %.0f, NO_DIRECT_MAP %.0f (%lu evictions)\n",
	       SMALL_PAGES, n * 1e9 / small[0], n * 1e9 / small[1], ev_small);
	printf("emulated accesses per second (median), %lu pages: direct map %.0f, NO_DIRECT_MAP %.0f (%lu evictions)\n",
	       large_pages, n * 1e9 / large[0], n * 1e9 / large[1], ev_large);
	if (ev_large && large[1] > large[0])
		printf("cost per eviction (unmap, TLB flush, map): %.1f us\n",
		       (large[1] - large[0]) / 1e3 / ev_large);
	printf("RATIO emulation throughput NO_DIRECT_MAP/direct map: %.2f\n",
	       (double)small[0] / small[1]);
	printf("RATIO emulation throughput NO_DIRECT_MAP/direct map, working set 4x the window: %.2f\n",
	       (double)large[0] / large[1]);
	return 0;
}
