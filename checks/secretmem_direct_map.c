// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfd_secret() memory and the host's direct map: its pages are out of the
 * direct map while in use, come from 2M blocks removed whole (so the direct
 * map does not fall apart into 4K pages), and all come back when the memory
 * is freed, in their boot page sizes.  A fault over RLIMIT_MEMLOCK takes
 * no page at all, so no block either.
 *
 * usage: secretmem_direct_map [-m MiB]
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"

#include "direct_map_util.h"

/*
 * A fault that RLIMIT_MEMLOCK refuses (SIGBUS) must not take a page first:
 * with the block cache empty, taking one would take a whole 2M block out
 * of the direct map.  Root may mmap() over the limit (CAP_IPC_LOCK), but a
 * fault is charged to the user, whatever its capabilities.
 */
static void test_over_limit(void)
{
	long removed0, cached0;
	int status;
	pid_t pid;

	direct_map_drop_cached();
	removed0 = direct_map_debugfs("removed_pages");
	cached0 = direct_map_debugfs("cached_pages");
	TEST_ASSERT_EQ(cached0, 0);

	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		int fd = syscall(__NR_memfd_secret, 0);
		char *p;

		/* The test library catches SIGBUS: the parent checks for it. */
		signal(SIGBUS, SIG_DFL);
		if (fd < 0 || setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ 0, 0 }) ||
		    ftruncate(fd, getpagesize()))
			_exit(2);
		p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(3);
		*(volatile char *)p = 1;
		_exit(0);
	}
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
		    "a memfd_secret() fault over RLIMIT_MEMLOCK: status %#x, not SIGBUS",
		    status);
	TEST_ASSERT(direct_map_debugfs("cached_pages") == cached0 &&
		    direct_map_debugfs("removed_pages") == removed0,
		    "a refused fault took pages: %ld out of the direct map (%ld cached), %ld (%ld) before",
		    direct_map_debugfs("removed_pages"), direct_map_debugfs("cached_pages"),
		    removed0, cached0);
	printf("a memfd_secret() fault over RLIMIT_MEMLOCK: SIGBUS, no page and no block taken\n");
}

int main(int argc, char *argv[])
{
	struct direct_map_sizes before, in_use, after;
	long removed0, removed, cached, pages;
	size_t size = 64ul << 20, off;
	int fd, opt;
	char *p;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt != 'm') {
			printf("usage: %s [-m MiB]\n", argv[0]);
			return 1;
		}
		size = strtoul(optarg, NULL, 0) << 20;
	}
	pages = size / getpagesize();

	fd = memfd_secret_open();

	test_over_limit();

	/* Settled: no collapse of earlier frees pending. */
	direct_map_drop_cached();
	sleep(2);
	before = direct_map_sizes();
	removed0 = direct_map_debugfs("removed_pages") - direct_map_debugfs("cached_pages");

	TEST_ASSERT(!ftruncate(fd, size), "ftruncate");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap");
	for (off = 0; off < size; off += getpagesize())
		TEST_ASSERT(*(volatile long *)(p + off) == 0, "page %zu not zero", off);
	for (off = 0; off < size; off += getpagesize())
		*(volatile long *)(p + off) = off;
	for (off = 0; off < size; off += getpagesize())
		TEST_ASSERT(*(volatile long *)(p + off) == off, "page %zu lost its value", off);

	in_use = direct_map_sizes();
	removed = direct_map_debugfs("removed_pages");
	cached = direct_map_debugfs("cached_pages");
	direct_map_sizes_print("before:", before);
	direct_map_sizes_print("with the memory in use:", in_use);
	printf("%ld pages of memfd_secret() memory; out of the direct map: %ld more pages, %ld of them cached for later\n",
	       pages, removed - cached - removed0, cached);
	TEST_ASSERT(removed - cached - removed0 >= pages,
		    "only %ld of %ld pages out of the direct map", removed - cached - removed0, pages);
	/*
	 * Whole 2M blocks: a 1G page around them splits into 2M pages, no
	 * 2M page into 4K pages.  One 2M region may be split by a fallback.
	 */
	TEST_ASSERT(in_use.k4 - before.k4 <= 2048,
		    "DirectMap4k grew by %ld kB for %zu MiB of memory", in_use.k4 - before.k4,
		    size >> 20);

	/* Closing the last memfd_secret() file drains the cache. */
	munmap(p, size);
	close(fd);
	after = direct_map_wait(before, 15);
	direct_map_sizes_print("after freeing it:", after);
	TEST_ASSERT_EQ(direct_map_debugfs("removed_pages"), removed0);
	TEST_ASSERT_EQ(direct_map_debugfs("cached_pages"), 0);
	TEST_ASSERT(direct_map_sizes_equal(before, after),
		    "the direct map did not return to its page sizes before");
	printf("memfd_secret(): %zu MiB out of the direct map in 2M blocks (DirectMap4k %+ld kB), all back and in large pages after\n",
	       size >> 20, in_use.k4 - before.k4);
	return 0;
}
