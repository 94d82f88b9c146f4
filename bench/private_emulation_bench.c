// SPDX-License-Identifier: GPL-2.0-only
/*
 * Throughput of KVM's instruction emulator on private memory of a
 * KVM_X86_SW_PROTECTED_VM: forced-emulation loads and stores to private
 * guest_memfd memory with GUEST_MEMFD_FLAG_NO_DIRECT_MAP (KVM goes through
 * mm-local mappings) versus without it (KVM goes through the direct map),
 * measured side by side in one run (alternating, median of several rounds).
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

#define PRIV_GPA	SZ_4G
#define PRIV_SLOT	1
#define PRIV_PAGES	64

static void guest_code(u64 n)
{
	u64 *p = (u64 *)PRIV_GPA, i, v, sum = 0;

	/* Fault everything in first, natively. */
	for (i = 0; i < PRIV_PAGES * PAGE_SIZE / 8; i++)
		p[i] = i;
	GUEST_SYNC(0);

	for (i = 0; i < n; i++) {
		u64 *q = &p[(i * 521) % (PRIV_PAGES * PAGE_SIZE / 8)];

		if (i & 1) {
			asm volatile(KVM_FEP "movq (%[p]), %[v]" : [v] "=r"(v) : [p] "r"(q) : "memory");
			sum += v;
		} else {
			asm volatile(KVM_FEP "movq %[v], (%[p])" : : [v] "r"(*q), [p] "r"(q) : "memory");
		}
	}
	GUEST_SYNC(sum);
	GUEST_DONE();
}

static u64 run(u64 n, bool no_direct_map)
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
	fd = vm_create_guest_memfd(vm, PRIV_PAGES * PAGE_SIZE,
				   no_direct_map ? GUEST_MEMFD_FLAG_NO_DIRECT_MAP : 0);
	vm_mem_add(vm, VM_MEM_SRC_ANONYMOUS, PRIV_GPA, PRIV_SLOT, PRIV_PAGES,
		   KVM_MEM_GUEST_MEMFD, fd, 0);
	virt_map(vm, PRIV_GPA, PRIV_GPA, PRIV_PAGES);
	vm_mem_set_private(vm, PRIV_GPA, PRIV_PAGES * PAGE_SIZE);
	vcpu_args_set(vcpu, 1, n);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);

	t0 = now_ns();
	vcpu_run(vcpu);
	t = now_ns() - t0;
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);

	close(fd);
	kvm_vm_free(vm);
	return t;
}

int main(int argc, char *argv[])
{
	u64 t[2][16], med[2], n = 20000;
	int rounds = 3, opt, i, m;
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

	printf("%lu forced-emulation accesses (loads and stores) to private memory, %d rounds\n",
	       n, rounds);
	for (i = 0; i < rounds; i++) {
		for (m = 0; m < 2; m++) {
			int mode = (i & 1) ? !m : m;

			t[mode][i] = run(n, mode);
		}
		printf("  round %d: direct map %.1f ms, NO_DIRECT_MAP (mm-local) %.1f ms\n",
		       i, t[0][i] / 1e6, t[1][i] / 1e6);
	}
	for (m = 0; m < 2; m++)
		med[m] = median(t[m], rounds);
	printf("emulated accesses per second (median): direct map %.0f, NO_DIRECT_MAP %.0f\n",
	       n * 1e9 / med[0], n * 1e9 / med[1]);
	printf("RATIO emulation throughput NO_DIRECT_MAP/direct map: %.2f\n",
	       (double)med[0] / med[1]);
	return 0;
}
