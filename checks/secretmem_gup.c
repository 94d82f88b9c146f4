// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfd_secret() on AS_NO_DIRECT_MAP (the stack's series 2): its pages are
 * out of the direct map while the file lives and all back once it is gone
 * (debugfs direct_map/), nothing may get or pin them (vmsplice(),
 * process_vm_readv() fail with EFAULT), and faulting them in without
 * getting them is allowed: MADV_POPULATE_WRITE and MADV_POPULATE_READ
 * populate the mapping (they failed with EINVAL before).
 *
 * Runs from series 2 on: it needs only direct_map/removed_pages; where
 * direct_map/cached_pages exists (a later series keeps unused pages of 2M
 * blocks out of the direct map), those are not counted as secretmem's.
 *
 * usage: secretmem_gup [-p PAGES]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"

#include "direct_map_util.h"

/* Pages out of the direct map, not counting cached ones where they exist. */
static long removed_not_cached(void)
{
	long removed = direct_map_debugfs("removed_pages");

	if (!access("/sys/kernel/debug/direct_map/cached_pages", R_OK))
		removed -= direct_map_debugfs("cached_pages");
	return removed;
}

/* The last file gone, the pages come back (cached ones a bit later). */
static long wait_removed(long want, int secs)
{
	long now = removed_not_cached();

	for (int i = 0; i < secs * 10 && now != want; i++) {
		if (!access("/sys/kernel/debug/direct_map/cached_pages", R_OK))
			direct_map_drop_cached();
		usleep(100000);
		now = removed_not_cached();
	}
	return now;
}

int main(int argc, char *argv[])
{
	long pages = 16, removed0, removed, psize = getpagesize();
	int fd, opt, pipefd[2], status;
	struct iovec local, remote;
	size_t size, off;
	ssize_t ret;
	pid_t pid;
	char *p;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p') {
			printf("usage: %s [-p PAGES]\n", argv[0]);
			return 1;
		}
		pages = strtol(optarg, NULL, 0);
	}
	TEST_ASSERT(pages > 0, "-p %ld", pages);
	size = pages * psize;

	fd = memfd_secret_open();
	TEST_ASSERT(!ftruncate(fd, size), "ftruncate");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap");

	removed0 = removed_not_cached();

	/* Populating takes no reference: allowed, and it fills the mapping. */
	TEST_ASSERT(!madvise(p, size, MADV_POPULATE_WRITE),
		    "MADV_POPULATE_WRITE on memfd_secret() memory: %s", strerror(errno));
	TEST_ASSERT(!madvise(p, size, MADV_POPULATE_READ),
		    "MADV_POPULATE_READ on memfd_secret() memory: %s", strerror(errno));
	removed = removed_not_cached();
	TEST_ASSERT(removed - removed0 == pages,
		    "%ld pages populated, %ld more out of the direct map", pages,
		    removed - removed0);
	printf("MADV_POPULATE_WRITE populated %ld pages, all out of the direct map\n", pages);

	for (off = 0; off < size; off += psize)
		TEST_ASSERT(*(volatile long *)(p + off) == 0, "page %zu not zero", off / psize);
	for (off = 0; off < size; off += psize)
		*(volatile long *)(p + off) = off + 1;
	TEST_ASSERT_EQ(removed_not_cached(), removed);

	/* Getting pages fails: vmsplice() (GUP-fast first, then GUP). */
	TEST_ASSERT(!pipe(pipefd), "pipe");
	local = (struct iovec){ .iov_base = p, .iov_len = psize };
	ret = vmsplice(pipefd[1], &local, 1, 0);
	TEST_ASSERT(ret < 0 && errno == EFAULT,
		    "vmsplice() of memfd_secret() memory: %zd (%s), not EFAULT", ret,
		    ret < 0 ? strerror(errno) : "success");
	close(pipefd[0]);
	close(pipefd[1]);

	/* ... and so does reading it from another process. */
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		long buf;

		local = (struct iovec){ .iov_base = &buf, .iov_len = sizeof(buf) };
		remote = (struct iovec){ .iov_base = p, .iov_len = sizeof(buf) };
		ret = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
		_exit(ret < 0 && errno == EFAULT ? 0 : ret < 0 ? 2 : 3);
	}
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "process_vm_readv() of memfd_secret() memory: status %#x (2: another error, 3: it read the page)",
		    status);
	printf("vmsplice() and process_vm_readv() of memfd_secret() memory: EFAULT\n");

	for (off = 0; off < size; off += psize)
		TEST_ASSERT(*(volatile long *)(p + off) == off + 1, "page %zu lost its value",
			    off / psize);

	/* The file gone, every page is back. */
	munmap(p, size);
	close(fd);
	removed = wait_removed(removed0, 15);
	TEST_ASSERT(removed == removed0,
		    "%ld pages out of the direct map after the file is gone, %ld before it was populated",
		    removed, removed0);
	TEST_ASSERT_EQ(direct_map_debugfs("leaked_pages"), 0);
	printf("the file gone, its %ld pages are back in the direct map\n", pages);
	return 0;
}
