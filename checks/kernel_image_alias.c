// SPDX-License-Identifier: GPL-2.0-only
/*
 * The high kernel mapping (__START_KERNEL_map) maps the kernel image a
 * second time, next to the direct map.  Memory that the image gives back to
 * the page allocator -- init memory, the text/rodata and rodata/data gaps,
 * and the rest of the 2M page after _brk_end -- may be handed to
 * memfd_secret() or NO_DIRECT_MAP guest_memfd, which remove it from the
 * direct map; it must then not stay reachable through this alias.
 *
 * Reads the kernel's page table dump (debugfs page_tables/kernel, the "High
 * Kernel Mapping" section), the image's section symbols from /proc/kallsyms
 * and the value of _brk_end through /proc/kcore, and fails if any present
 * entry of the high mapping covers a page of a freed range.  Run after boot,
 * once the kernel has freed them.
 *
 * usage: kernel_image_alias [-v]
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define PTDUMP		"/sys/kernel/debug/page_tables/kernel"
#define SZ_2M		(2ul << 20)
#define PAGE		4096ul

struct range {
	const char *what;
	unsigned long start, end;
};

static unsigned long ksym(const char *name)
{
	char line[512], sym[256], type;
	unsigned long addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	TEST_ASSERT(f, "/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name)) {
			fclose(f);
			TEST_ASSERT(addr, "kallsyms hides addresses (kptr_restrict)");
			return addr;
		}
	}
	fclose(f);
	TEST_FAIL("symbol %s not in /proc/kallsyms", name);
	return 0;
}

/* A long of the kernel image at @vaddr, read through /proc/kcore. */
static unsigned long kcore_long(unsigned long vaddr)
{
	int fd = open("/proc/kcore", O_RDONLY);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned long val;
	int i;

	TEST_ASSERT(fd >= 0, "/proc/kcore: %s", strerror(errno));
	TEST_ASSERT(pread(fd, &eh, sizeof(eh), 0) == sizeof(eh), "kcore ELF header");
	for (i = 0; i < eh.e_phnum; i++) {
		TEST_ASSERT(pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) ==
			    sizeof(ph), "kcore program header");
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr + sizeof(val) > ph.p_vaddr + ph.p_memsz)
			continue;
		TEST_ASSERT(pread(fd, &val, sizeof(val), ph.p_offset + vaddr - ph.p_vaddr) ==
			    sizeof(val), "kcore read at 0x%lx", vaddr);
		close(fd);
		return val;
	}
	close(fd);
	TEST_FAIL("0x%lx is in no segment of /proc/kcore", vaddr);
	return 0;
}

static unsigned long page_up(unsigned long a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

int main(int argc, char *argv[])
{
	unsigned long brk_end = kcore_long(ksym("_brk_end"));
	struct range freed[] = {
		{ "text/rodata gap", page_up(ksym("_etext")), ksym("__start_rodata") },
		{ "rodata/data gap", page_up(ksym("__end_rodata")), ksym("_sdata") },
		{ "init memory", ksym("__init_begin"), ksym("__init_end") },
		{ "after _brk_end", page_up(brk_end), (brk_end + SZ_2M - 1) & ~(SZ_2M - 1) },
	};
	const int nr = sizeof(freed) / sizeof(freed[0]);
	unsigned long start, end, covered[4] = { 0 };
	int i, aliases = 0, present = 0;
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	bool in_high = false;
	char line[512];
	FILE *f;

	f = fopen(PTDUMP, "r");
	if (!f && errno == ENOENT)
		ksft_exit_skip("no %s (CONFIG_PTDUMP_DEBUGFS)\n", PTDUMP);
	TEST_ASSERT(f, "%s: %s", PTDUMP, strerror(errno));

	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "---[ ")) {
			in_high = strstr(line, "High Kernel Mapping");
			continue;
		}
		if (!in_high || sscanf(line, "0x%lx-0x%lx", &start, &end) != 2)
			continue;
		/* x86's dump prints no protection bits for an entry not present. */
		if (!strstr(line, " RW ") && !strstr(line, " ro "))
			continue;
		present++;
		if (verbose)
			printf("  %s", line);
		for (i = 0; i < nr; i++) {
			unsigned long s = freed[i].start > start ? freed[i].start : start;
			unsigned long e = freed[i].end < end ? freed[i].end : end;

			if (s >= e)
				continue;
			printf("alias: 0x%lx-0x%lx (%s) mapped by: %s", s, e, freed[i].what, line);
			covered[i] += e - s;
			aliases++;
		}
	}
	fclose(f);
	TEST_ASSERT(present, "no present entry found in the high kernel mapping of %s", PTDUMP);

	for (i = 0; i < nr; i++)
		printf("%-16s 0x%lx-0x%lx: %lu kB, %lu kB of it mapped in the high kernel mapping\n",
		       freed[i].what, freed[i].start, freed[i].end,
		       freed[i].end > freed[i].start ? (freed[i].end - freed[i].start) >> 10 : 0,
		       covered[i] >> 10);
	TEST_ASSERT(!aliases, "%d range(s) of freed kernel image memory still mapped", aliases);
	printf("kernel_image_alias: no freed kernel image page is mapped in the high kernel mapping\n");
	return 0;
}
