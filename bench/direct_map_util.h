/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The direct map's page sizes, as /proc/meminfo reports them (x86:
 * DirectMap4k, DirectMap2M, DirectMap1G, in kB), and the pages the series'
 * helpers keep out of it.
 */
#ifndef DIRECT_MAP_UTIL_H
#define DIRECT_MAP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_util.h"

struct direct_map_sizes {
	long k4, m2, g1;	/* kB mapped by 4K, 2M and 1G pages */
	long hw_corrupted;	/* kB of memory taken out by memory errors */
};

static inline long meminfo_field(const char *path, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long val = -1;
	FILE *f = fopen(path, "r");

	TEST_ASSERT(f, "open %s", path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/* DirectMap1G is absent without GB pages: 0 then. */
static inline struct direct_map_sizes direct_map_sizes_from(const char *path)
{
	struct direct_map_sizes s = {
		.k4 = meminfo_field(path, "DirectMap4k"),
		.m2 = meminfo_field(path, "DirectMap2M"),
		.g1 = meminfo_field(path, "DirectMap1G"),
		.hw_corrupted = meminfo_field(path, "HardwareCorrupted"),
	};

	TEST_ASSERT(s.k4 >= 0 && s.m2 >= 0, "no DirectMap4k/DirectMap2M in %s", path);
	if (s.g1 < 0)
		s.g1 = 0;
	if (s.hw_corrupted < 0)
		s.hw_corrupted = 0;
	return s;
}

static inline struct direct_map_sizes direct_map_sizes(void)
{
	return direct_map_sizes_from("/proc/meminfo");
}

static inline bool direct_map_sizes_equal(struct direct_map_sizes a,
					  struct direct_map_sizes b)
{
	return a.k4 == b.k4 && a.m2 == b.m2 && a.g1 == b.g1;
}

static inline void direct_map_sizes_print(const char *when,
					  struct direct_map_sizes s)
{
	printf("%-34s DirectMap4k %8ld kB  DirectMap2M %8ld kB  DirectMap1G %8ld kB\n",
	       when, s.k4, s.m2, s.g1);
}

/*
 * A counter of the series' helpers in debugfs direct_map/: removed_pages
 * (out of the direct map), cached_pages (of those, held in 2M blocks for
 * later), leaked_pages.
 */
static inline long direct_map_debugfs(const char *name)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/direct_map/%s", name);
	f = fopen(path, "r");
	TEST_ASSERT(f, "open %s", path);
	TEST_ASSERT(fscanf(f, "%ld", &n) == 1, "read %s", path);
	fclose(f);
	return n;
}

/*
 * A memfd_secret() file, with RLIMIT_MEMLOCK (which its memory counts
 * against) lifted; the test is skipped where memfd_secret() is disabled.
 */
static inline int memfd_secret_open(void)
{
	int fd;

	TEST_ASSERT(!setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY }),
		    "setrlimit(RLIMIT_MEMLOCK)");
	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0 && errno == ENOSYS)
		ksft_exit_skip("memfd_secret() is not enabled\n");
	TEST_ASSERT(fd >= 0, "memfd_secret()");
	return fd;
}

/* Have the shrinkers run: the block cache gives its unused pages back. */
static inline void direct_map_drop_cached(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	TEST_ASSERT(fd >= 0 && write(fd, "2", 1) == 1, "write /proc/sys/vm/drop_caches");
	close(fd);
}

/*
 * Wait up to @secs seconds for the direct map to have the sizes of @want
 * (the kernel re-forms large pages a second after pages come back).
 */
static inline struct direct_map_sizes direct_map_wait(struct direct_map_sizes want,
						      int secs)
{
	struct direct_map_sizes now = direct_map_sizes();
	int i;

	for (i = 0; i < secs * 10 && !direct_map_sizes_equal(now, want); i++) {
		usleep(100000);
		now = direct_map_sizes();
	}
	return now;
}

#endif
