// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run by `make check` after the series' tests: the host's direct map is back
 * in the page sizes it had when the test VM booted (/tmp/meminfo.boot, saved
 * by scripts/guest/init before the first test).  Every page that the tests
 * took out of the direct map has been freed by now, and the kernel re-forms
 * the large pages their removal split.
 *
 * Exactly the boot sizes, except for pages that can never come back: a page
 * hit by a memory error (the memory-error tests inject some) or one still
 * counted in direct_map/removed_pages keeps its 2M region in 4K pages and the
 * 1G region around it in 2M pages, so each may leave at most 2 MiB more in
 * 4K pages and 1 GiB less in 1G pages.  The total never changes.
 *
 * usage: direct_map_return [-t seconds]
 */
#include <stdlib.h>

#include "kvm_util.h"
#include "test_util.h"

#include "direct_map_util.h"

#define BOOT_MEMINFO	"/tmp/meminfo.boot"

static bool within_bound(struct direct_map_sizes boot,
			 struct direct_map_sizes now, long stuck)
{
	if (boot.k4 + boot.m2 + boot.g1 != now.k4 + now.m2 + now.g1)
		return false;
	if (!stuck)
		return direct_map_sizes_equal(boot, now);
	return now.k4 - boot.k4 <= stuck * 2048 &&
	       boot.g1 - now.g1 <= stuck * 1024 * 1024;
}

int main(int argc, char *argv[])
{
	struct direct_map_sizes boot, now;
	long removed, poisoned, stuck;
	int secs = 15, opt, i;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't') {
			printf("usage: %s [-t seconds]\n", argv[0]);
			return 1;
		}
		secs = atoi(optarg);
	}
	TEST_REQUIRE(!access(BOOT_MEMINFO, R_OK));

	/* Pages held for later by the block cache go back (its shrinker). */
	direct_map_drop_cached();
	boot = direct_map_sizes_from(BOOT_MEMINFO);
	now = direct_map_sizes();
	removed = direct_map_debugfs("removed_pages");
	poisoned = (now.hw_corrupted - boot.hw_corrupted) / 4;
	stuck = removed + poisoned;

	for (i = 0; i < secs * 10 && !within_bound(boot, now, stuck); i++) {
		usleep(100000);
		now = direct_map_sizes();
	}

	direct_map_sizes_print("at boot:", boot);
	direct_map_sizes_print("after the tests:", now);
	printf("difference: DirectMap4k %+ld kB, DirectMap2M %+ld kB, DirectMap1G %+ld kB; pages still removed %ld, poisoned %ld\n",
	       now.k4 - boot.k4, now.m2 - boot.m2, now.g1 - boot.g1, removed,
	       poisoned);
	TEST_ASSERT(boot.k4 + boot.m2 + boot.g1 == now.k4 + now.m2 + now.g1,
		    "the direct map's total size changed");
	if (!stuck)
		TEST_ASSERT(direct_map_sizes_equal(boot, now),
			    "the direct map did not return to its boot page sizes within %d s", secs);
	else
		TEST_ASSERT(within_bound(boot, now, stuck),
			    "the direct map did not return to its boot page sizes within %d s (allowing 2 MiB of 4K and 1 GiB of 1G pages for each of %ld pages that cannot come back)",
			    secs, stuck);
	printf("the direct map is back in its boot page sizes%s\n",
	       stuck ? " (within the bound for pages that cannot come back)" : "");
	return 0;
}
