// SPDX-License-Identifier: GPL-2.0-only
/*
 * What GUEST_MEMFD_FLAG_NO_DIRECT_MAP does to the host's direct map: its
 * page sizes (/proc/meminfo DirectMap4k/2M/1G) before, while a guest_memfd
 * of 512 MiB is populated, and after it is freed, for a plain guest_memfd
 * (the control) and a NO_DIRECT_MAP one, in one run, twice.
 *
 * usage: direct_map_frag_bench [-m MiB] [-r rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/falloc.h>

#include "kvm_util.h"
#include "test_util.h"

#include "direct_map_util.h"

/* The kernel re-forms large pages a second after the pages come back. */
#define SETTLE_SECS	15

struct sample {
	struct direct_map_sizes before, in_use, after;
};

static struct sample run(size_t size, u64 flags)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct sample s;
	int fd;

	s.before = direct_map_sizes();
	fd = vm_create_guest_memfd(vm, size, flags);
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size), "fallocate");
	s.in_use = direct_map_sizes();
	close(fd);
	kvm_vm_free(vm);
	s.after = direct_map_wait(s.before, SETTLE_SECS);
	return s;
}

static double growth_4k(struct direct_map_sizes from, struct direct_map_sizes to,
			size_t size)
{
	return (double)(to.k4 - from.k4) / (size >> 20);
}

int main(int argc, char *argv[])
{
	const u64 base = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	struct sample plain = {}, ndm = {}, first_ndm = {};
	size_t size = 512ul << 20;
	int rounds = 2, opt, i;
	char what[64];

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
	TEST_ASSERT(size && rounds > 0, "-m and -r must be positive");
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) &
		     GUEST_MEMFD_FLAG_NO_DIRECT_MAP);

	printf("guest_memfd of %zu MiB, fallocate()d then freed; plain, then NO_DIRECT_MAP\n",
	       size >> 20);
	direct_map_sizes_print("at start:", direct_map_sizes());
	for (i = 0; i < rounds; i++) {
		plain = run(size, base);
		ndm = run(size, base | GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
		if (!i)
			first_ndm = ndm;

		snprintf(what, sizeof(what), "round %d, plain in use:", i);
		direct_map_sizes_print(what, plain.in_use);
		snprintf(what, sizeof(what), "round %d, plain freed:", i);
		direct_map_sizes_print(what, plain.after);
		snprintf(what, sizeof(what), "round %d, NO_DIRECT_MAP before:", i);
		direct_map_sizes_print(what, ndm.before);
		snprintf(what, sizeof(what), "round %d, NO_DIRECT_MAP in use:", i);
		direct_map_sizes_print(what, ndm.in_use);
		snprintf(what, sizeof(what), "round %d, NO_DIRECT_MAP freed:", i);
		direct_map_sizes_print(what, ndm.after);
	}

	printf("RATIO DirectMap4k growth per MiB in use (kB/MiB), plain: %.1f\n",
	       growth_4k(plain.before, plain.in_use, size));
	printf("RATIO DirectMap4k growth per MiB in use (kB/MiB), NO_DIRECT_MAP: %.1f\n",
	       growth_4k(ndm.before, ndm.in_use, size));
	printf("RATIO DirectMap4k growth per MiB after freeing (kB/MiB), NO_DIRECT_MAP, first round: %.1f\n",
	       growth_4k(first_ndm.before, first_ndm.after, size));
	printf("RATIO DirectMap4k growth per MiB after freeing (kB/MiB), NO_DIRECT_MAP, last round: %.1f\n",
	       growth_4k(ndm.before, ndm.after, size));
	printf("RATIO DirectMap1G after/before freeing, NO_DIRECT_MAP, last round: %.3f\n",
	       ndm.before.g1 ? (double)ndm.after.g1 / ndm.before.g1 : 1.0);
	return 0;
}
