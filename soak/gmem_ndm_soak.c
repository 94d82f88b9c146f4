// SPDX-License-Identifier: GPL-2.0-only
/*
 * Soak of GUEST_MEMFD_FLAG_NO_DIRECT_MAP, for `make check-debug` (KASAN,
 * lockdep, DEBUG_VM, kmemleak): several VMMs in parallel, each a process
 * with one VM whose test memory is a NO_DIRECT_MAP guest_memfd.  Odd VMMs
 * run a KVM_X86_SW_PROTECTED_VM with that memory private (KVM's emulator
 * reaches it through mm-local mappings in the VMM); even ones a DEFAULT VM
 * with it mmap()ed as the memslot's only backing.  In each, the vCPU writes
 * natively (faults), loads and stores through forced emulation, while a
 * thread of the VMM punches holes in the same pages; the guest checks that
 * every value it reads is the one it wrote or zero (a punched page), never
 * anything else.  Mid-run the VMMs fork() children that exit, some VMMs
 * are SIGKILLed and the others exit with their VM still alive or after
 * tearing it down.
 *
 * Afterwards the pages removed from the direct map (debugfs
 * direct_map/removed_pages) and KVM's own page tables (/proc/meminfo
 * SecPageTables) must be back to their values before the soak.  Page
 * tables left accounted to a dead mm, e.g. mm-local ones, are reported by
 * the kernel (check_mm(): "BUG: non-zero pgtables_bytes on freeing mm").
 * The total of page tables (PageTables) is only printed: it includes the
 * kernel's vmalloc page tables (thread stacks, KVM's allocations), which
 * grow with use and are never freed.  Kernel splats and kmemleak reports
 * are read from the console by the harness.  Needs
 * kvm.force_emulation_prefix=1.
 *
 * When the kernel has tracefs, KVM's exits, entries, injected exceptions,
 * page faults, emulated instructions and SPTE changes are traced into a
 * ring buffer, and a VMM whose vCPU exits unexpectedly stops the trace and
 * prints its own last events: on AMD, the vCPU state after a triple fault
 * is the reset state, so the trace is what tells where the guest was.
 * Two signatures name the emulated CPU's fault, both caught under QEMU/TCG
 * on stock 7.3.4 too (soak_classify.h): a guest that entered or exited at
 * a RIP in the kernel's half (they run below 4G), the CPU's mix-up of the
 * guest's and the host's state; and a guest that shut down on a #PF for a
 * fetch from a page that its tables, which it never writes, and KVM's
 * nested page tables both map.
 *
 * A VMM with a signature, whether its vCPU exited unexpectedly (e.g. a
 * shutdown) or it was still running 60 s after the soak's end, is killed
 * and excluded as the emulator's fault: its guest's results are discarded,
 * and the checks at the end (pages back in the direct map, SecPageTables
 * back) still count its memory.  One such VMM per run is excluded; a
 * second fails the run, as does any other failure: a guest that read a
 * wrong value, an unexpected exit or a hang without a signature, a VMM
 * that SIGKILL does not end, pages not back.  The rules are in
 * soak_classify.h.  The sysrq dumps that the soak asks for (blocked tasks,
 * every CPU's backtrace) are bracketed by marker lines in the kernel's log
 * ("soak: diagnostic dump begin PID-N" ... "end PID-N"), inside which
 * scripts/parse-results.py does not count the dumps' backtraces as splats.
 *
 * -p runs the same soak on plain guest_memfd memory (no
 * GUEST_MEMFD_FLAG_NO_DIRECT_MAP): a control, to tell a failure of the
 * series' NO_DIRECT_MAP paths from one of KVM or of the machine.
 *
 * -s runs only default VMs on plain guest_memfd, without the series'
 * debugfs file: what a stock kernel can run, to compare with it.
 *
 * -E (plain loads and stores instead of forced emulation), -F (no fork())
 * and -H (no hole punching) leave one ingredient out, to narrow down what
 * a failure needs; the check of the paths exercised skips what was left
 * out.
 *
 * The VMMs keep the anonymous memory of their VM's memslot 0 (the guest's
 * code, stack and page tables) out of their fork()ed children with
 * MADV_DONTFORK, as VMMs such as QEMU do with guest RAM, so that fork()
 * does not write-protect it for copy-on-write.  -C leaves that out: then
 * KVM zaps memslot 0's nested page table entries at each fork(), and under
 * QEMU/TCG guests shut down and the test VM's kernel gets corrupted more
 * often, on stock 7.3.4 too.  Without -C, guests of the series' soak still
 * shut down, more rarely (notes/soak-corruption.md).
 *
 * -T is the self-test of the verdict: the first VMM's guest triple faults
 * on purpose (no IDT, a fetch from a page its tables do not map), which
 * has neither signature; the soak passes only if that VMM is a failure
 * (not excluded), every other VMM passes and all memory comes back.
 *
 * usage: gmem_ndm_soak [-t seconds] [-n parallel VMMs] [-p] [-s] [-E] [-F] [-H] [-C] [-T]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "fep_util.h"
#include "soak_classify.h"

#define MEM_GPA		SZ_4G
#define MEM_SLOT	1
#define MEM_PAGES	64
#define SYNC_EVERY	128
#define MAX_VMMS	16

#define REMOVED_PAGES	"/sys/kernel/debug/direct_map/removed_pages"
#define TRACEFS		"/sys/kernel/tracing"

static const char * const trace_events[] = {
	"kvm/kvm_entry", "kvm/kvm_exit", "kvm/kvm_inj_exception",
	"kvm/kvm_page_fault", "kvm/kvm_emulate_insn", "kvm/kvm_userspace_exit",
	"kvmmmu/kvm_mmu_walker_error", "kvmmmu/kvm_mmu_spte_requested",
	"kvmmmu/kvm_tdp_mmu_spte_changed",
};

static bool tracing;
/* -p: plain guest_memfd, the control; -s: that, default VMs only (stock). */
static bool plain, stock;
/* -E, -F, -H: without forced emulation, fork() or hole punching. */
static bool no_fep, no_fork, no_punch;
/* -C: memslot 0 copied on write in fork()ed children. */
static bool cow_slot0;
/* In the guest: no_fep. */
static bool guest_no_fep;
/*
 * -T, the self-test of the verdict: the first VMM's guest triple faults on
 * purpose, a shutdown without a signature, which must fail the run.
 */
static bool self_test, self_test_failed;
/* In the guest: this one triple faults. */
static bool guest_triple_fault;

/* Canonical, and not mapped by the guest's page tables. */
#define UNMAPPED_GVA	0x7ff000000000ull

static bool trace_write(const char *file, const char *val)
{
	char path[256];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

/* Whether KVM is being traced now (nobody stopped the trace for a report). */
static bool trace_running(void)
{
	FILE *f = fopen(TRACEFS "/tracing_on", "r");
	int on = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &on) != 1)
		on = 0;
	fclose(f);
	return on;
}

/* Trace KVM into a ring buffer, if the kernel can; see the top comment. */
static void trace_start(void)
{
	char file[128];
	size_t i;

	/* Not mounted by the test VM's init; EBUSY if it is already. */
	mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (!trace_write("tracing_on", "0") || !trace_write("trace", "") ||
	    !trace_write("buffer_size_kb", "16384")) {
		printf("soak: no tracefs, KVM is not traced\n");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(trace_events); i++) {
		snprintf(file, sizeof(file), "events/%s/enable", trace_events[i]);
		if (!trace_write(file, "1"))
			printf("soak: cannot trace %s\n", trace_events[i]);
	}
	tracing = trace_write("tracing_on", "1");
}

/* What the trace is read from: the kernel's, or a copy (trace_copy()). */
static char trace_path[64] = TRACEFS "/trace";

/*
 * Reading the kernel's trace formats every event in its buffers, which
 * can take minutes on a debug kernel when they are full, and a
 * report reads it several times: copy the events of process @pid's
 * threads to @path once (a file in the test VM's tmpfs), and read the copy
 * from then on.  The trace must be stopped.
 */
static void trace_copy(pid_t pid, const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "t=$(ls /proc/%d/task | tr '\\n' '|'); grep -E -- \"-(${t%%|}) \" " TRACEFS "/trace > %s",
		 pid, path);
	/* grep fails when no line matches, which the readers then see. */
	if (system(cmd) < 0)
		return;
	snprintf(trace_path, sizeof(trace_path), "%s", path);
}

/*
 * Stop the trace and print the last events of this VMM's threads, and the
 * changes of KVM's page table entries for the guest frames in @gfns (a
 * "|"-separated list of hexadecimal numbers).
 */
static void trace_dump(pid_t vcpu_tid, pid_t punch_tid, const char *gfns)
{
	char cmd[512], path[64];

	if (!tracing)
		return;
	trace_write("tracing_on", "0");
	fflush(stdout);
	snprintf(path, sizeof(path), "/tmp/soak-trace.%d", getpid());
	trace_copy(getpid(), path);
	if (*gfns) {
		snprintf(cmd, sizeof(cmd),
			 "grep -E -- 'gfn (%s) ' %s | tail -n 100 | sed 's/^/soak trace of the walk: /'",
			 gfns, trace_path);
		if (system(cmd))
			printf("soak: no trace events of gfns %s\n", gfns);
	}
	snprintf(cmd, sizeof(cmd),
		 "grep -E -- '-(%d|%d) ' %s | tail -n 150 | sed 's/^/soak trace: /'",
		 vcpu_tid, punch_tid, trace_path);
	if (system(cmd))
		printf("soak: no trace events of threads %d and %d\n", vcpu_tid, punch_tid);
}

/*
 * The soak's guests run below 4G.  A KVM entry or exit of one of process
 * @pid's threads at a RIP in the kernel's half is the signature of the
 * emulated CPU's #VMEXIT storing its host's registers as the guest's,
 * caught under QEMU/TCG on stock 7.3.4 (notes/soak-corruption.md,
 * soak_classify.h).  Says so, with the first such event; returns its RIP,
 * 0 if there is none.
 */
static u64 trace_host_rip(pid_t pid)
{
	unsigned long long rip = 0;
	char path[64], *line = NULL;
	size_t size = 0;
	struct dirent *d;
	pid_t tids[16];
	int nr = 0;
	DIR *dir;
	FILE *f;

	if (!tracing)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && nr < ARRAY_SIZE(tids))
		if (isdigit((unsigned char)d->d_name[0]))
			tids[nr++] = atoi(d->d_name);
	closedir(dir);
	f = fopen(trace_path, "r");
	if (!f)
		return 0;
	while (getline(&line, &size, f) > 0)
		if (soak_trace_host_rip(line, tids, nr, &rip))
			break;
	fclose(f);
	if (rip)
		printf("soak: pid %d: its guest ran at a host kernel address, the signature of the emulated CPU's #VMEXIT storing the host's state as the guest's, caught on stock 7.3.4 too (notes/soak-corruption.md): %s",
		       pid, line);
	free(line);
	return rip;
}

/* The frame that backs @hva in this process, from /proc/self/pagemap. */
static u64 host_pfn(void *hva)
{
	u64 e = 0;
	FILE *f = fopen("/proc/self/pagemap", "r");

	if (!f)
		return -1ull;
	if (fseek(f, (unsigned long)hva / getpagesize() * 8, SEEK_SET) ||
	    fread(&e, 8, 1, f) != 1)
		e = 0;
	fclose(f);
	return e & BIT_ULL(63) ? e & GENMASK_ULL(54, 0) : -1ull;
}

/* One step of the guest's page walk as the VMM reads it. */
struct guest_walk_step {
	u64 gfn;	/* the guest frame of the table, or of the page */
	u64 pfn;	/* the host frame behind the VMM's mapping of it, or -1 */
	int level;	/* the table's level, 0 for the page */
	unsigned int idx;	/* the entry of the table that was read */
	u64 entry;	/* its value */
};

/*
 * The guest's page walk for @gva, as the VMM reads it: each table, then
 * the page if every entry on the way is present, in @s (at most 6 steps).
 * Returns the number of steps; *@mapped says whether the walk reached a
 * page (an entry that is not present, or that maps a large page, which the
 * soak's guests do not use, ends it early).
 */
static int guest_walk(struct kvm_vm *vm, u64 gva, struct guest_walk_step *s,
		      bool *mapped)
{
	u64 table = vm->mmu.pgd;
	int level, n = 0;

	*mapped = false;
	for (level = vm->mmu.pgtable_levels; level >= 1; level--) {
		unsigned int idx = (gva >> (12 + 9 * (level - 1))) & 511;
		u64 *hva = addr_gpa2hva(vm, table);

		s[n] = (struct guest_walk_step){ .gfn = table >> 12,
			.pfn = host_pfn(hva), .level = level, .idx = idx,
			.entry = hva[idx] };
		if (!(s[n].entry & PTE_PRESENT_MASK(&vm->mmu)) ||
		    (level > 1 && (s[n].entry & BIT(7))))
			return n + 1;
		table = PTE_GET_PA(s[n++].entry);
	}
	s[n++] = (struct guest_walk_step){ .gfn = table >> 12,
		.pfn = host_pfn(addr_gpa2hva(vm, table)) };
	*mapped = true;
	return n;
}

/*
 * After an unexpected exit: print the guest's page walk for @gva, each
 * table's guest frame and the host frame behind the VMM's mapping of it,
 * for comparison with the frames that KVM mapped (the trace of SPTE
 * changes).  Appends the guest frames to @gfns.
 */
static void guest_walk_dump(struct kvm_vm *vm, const char *what, u64 gva,
			    char *gfns, size_t size)
{
	struct guest_walk_step s[6];
	bool mapped;
	int i, n = guest_walk(vm, gva, s, &mapped);

	for (i = 0; i < n; i++) {
		if (s[i].level)
			printf("soak: walk of %s 0x%lx: level %d table at gpa 0x%lx (host pfn 0x%lx): entry %u = 0x%lx\n",
			       what, (unsigned long)gva, s[i].level,
			       (unsigned long)(s[i].gfn << 12), (unsigned long)s[i].pfn,
			       s[i].idx, (unsigned long)s[i].entry);
		else
			printf("soak: walk of %s 0x%lx: page at gpa 0x%lx (host pfn 0x%lx)\n",
			       what, (unsigned long)gva, (unsigned long)(s[i].gfn << 12),
			       (unsigned long)s[i].pfn);
		snprintf(gfns + strlen(gfns), size - strlen(gfns), "%s%lx",
			 *gfns ? "|" : "", (unsigned long)s[i].gfn);
	}
}

/*
 * The frames of the guest's walk for @gva, as the VMM reads them: the
 * guest frames in @gfns and the host frames behind the VMM's mapping in
 * @pfns (at most 6).  Returns how many, or 0 if the walk does not reach a
 * page or a frame is not backed.
 */
static int guest_walk_frames(struct kvm_vm *vm, u64 gva, u64 *gfns, u64 *pfns)
{
	struct guest_walk_step s[6];
	bool mapped;
	int i, n = guest_walk(vm, gva, s, &mapped);

	if (!mapped)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i].pfn == -1ull)
			return 0;
		gfns[i] = s[i].gfn;
		pfns[i] = s[i].pfn;
	}
	return n;
}

/*
 * The second signature (soak_classify.h) after a shutdown of vCPU thread
 * @tid: its last exit in KVM's trace came while the CPU delivered a #PF
 * for a fetch from a not-present page; the guest's tables map every byte
 * the instruction at that RIP may span, present; and the last time KVM
 * mapped each frame of those walks for this vCPU, it mapped the frame that
 * backs the VMM's own mapping of it.  Says why or why not; returns the
 * RIP, 0 if not all of it holds.
 */
static u64 trace_fetch_pf(struct kvm_vm *vm, pid_t tid)
{
	struct soak_trace_exit ex, last = {};
	u64 gfns[12], pfns[12], seen[12];
	bool have_last = false;
	char *line = NULL;
	size_t size = 0;
	int n, m, i;
	unsigned long long pfn;
	FILE *f;

	if (!tracing)
		return 0;
	f = fopen(trace_path, "r");
	if (!f)
		return 0;
	while (getline(&line, &size, f) > 0)
		if (soak_trace_exit(line, tid, &ex)) {
			last = ex;
			have_last = true;
		}
	if (!have_last || !soak_exit_is_fetch_pf(&last)) {
		printf("soak: tid %d: %s\n", tid, have_last ?
		       "its last exit is not a shutdown on a #PF for a fetch from a not-present page" :
		       "no exit of it in KVM's trace");
		goto out;
	}
	/* An instruction is at most 15 bytes: its last byte may be on the next page. */
	n = guest_walk_frames(vm, last.rip, gfns, pfns);
	m = n && ((last.rip + 14) >> 12) != (last.rip >> 12) ?
	    guest_walk_frames(vm, last.rip + 14, gfns + n, pfns + n) : -1;
	if (!n || !m) {
		printf("soak: tid %d: the guest's tables do not map its RIP 0x%lx present: a #PF on a fetch is possible\n",
		       tid, (unsigned long)last.rip);
		goto out;
	}
	n += m > 0 ? m : 0;
	for (i = 0; i < n; i++)
		seen[i] = -1ull;
	rewind(f);
	while (getline(&line, &size, f) > 0)
		for (i = 0; i < n; i++)
			if (soak_trace_spte_install(line, tid, gfns[i], &pfn) &&
			    pfn != -1ull)
				seen[i] = pfn;
	for (i = 0; i < n; i++)
		if (seen[i] != pfns[i]) {
			printf("soak: tid %d: gfn 0x%lx of the walk of 0x%lx is behind host pfn 0x%lx, but KVM last mapped it at %s0x%lx\n",
			       tid, (unsigned long)gfns[i], (unsigned long)last.rip,
			       (unsigned long)pfns[i], seen[i] == -1ull ? "(not in the trace) " : "",
			       (unsigned long)seen[i]);
			goto out;
		}
	printf("soak: tid %d: shut down on a #PF (error code 0x%llx) for a fetch at 0x%lx, whose walk of %d frames the guest's tables map present and KVM last mapped at the VMM's own frames: the emulated CPU's impossible fetch fault, caught on stock 7.3.4 too (notes/soak-corruption.md)\n",
	       tid, last.error_code, (unsigned long)last.rip, n);
	free(line);
	fclose(f);
	return last.rip;
out:
	free(line);
	fclose(f);
	return 0;
}

/* Per-VMM counters, in memory shared with the supervisor. */
struct vmm_stats {
	u64 iterations;
	u64 punches;
	u64 forks;
	/*
	 * Reporting an unexpected exit (set for good): not to be killed
	 * meanwhile, and the exit is a failure unless excluded.
	 */
	bool reporting;
	/* The signature the VMM saw in its report, and its RIP. */
	enum soak_signature sig;
	u64 sig_rip;
	/* Excluded as the emulator's fault: its counters are left out. */
	bool excluded;
};

static u64 val(u64 i)
{
	return 0x534f414b00000000ull | (i & 0xffffffffull);	/* "SOAK" */
}

/*
 * Every read sees the value just written or zero, if the VMM punched the
 * page in between; old contents or another page's data would be a stale
 * mapping.
 */
static void guest_code(u64 seed)
{
	u64 i, v, r, *p;

	for (i = 1;; i++) {
		p = (u64 *)(MEM_GPA + ((i * 7919 + seed) % MEM_PAGES) * PAGE_SIZE) +
		    (i % (PAGE_SIZE / 8));
		v = val(i);
		WRITE_ONCE(*p, v);
		r = guest_no_fep ? READ_ONCE(*p) : fep_load(p);
		__GUEST_ASSERT(r == v || !r, "emulated load %lu: 0x%lx, wrote 0x%lx", i, r, v);
		if (guest_no_fep)
			WRITE_ONCE(*p, v + 1);
		else
			fep_store(p, v + 1);
		r = READ_ONCE(*p);
		__GUEST_ASSERT(r == v + 1 || !r, "load %lu: 0x%lx, emulator wrote 0x%lx",
			       i, r, v + 1);
		if (!(i % SYNC_EVERY))
			GUEST_SYNC(i);
		/* -T: no IDT, and a fetch from a page that is not mapped. */
		if (guest_triple_fault && i == SYNC_EVERY + 1) {
			struct desc_ptr none = {};

			set_idt(&none);
			asm volatile("jmp *%0" : : "r"(UNMAPPED_GVA));
		}
	}
}

struct puncher {
	int fd;
	pid_t tid;
	unsigned int seed;
	bool stop;
	struct vmm_stats *stats;
};

static void *punch_loop(void *arg)
{
	struct puncher *p = arg;

	WRITE_ONCE(p->tid, gettid());
	while (!READ_ONCE(p->stop)) {
		u64 page = rand_r(&p->seed) % MEM_PAGES;
		u64 n = 1 + rand_r(&p->seed) % 4;

		if (page + n > MEM_PAGES)
			n = MEM_PAGES - page;
		TEST_ASSERT(!fallocate(p->fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				       page * PAGE_SIZE, n * PAGE_SIZE),
			    "PUNCH_HOLE: %s", strerror(errno));
		WRITE_ONCE(p->stats->punches, p->stats->punches + 1);
		usleep(rand_r(&p->seed) % 500);
	}
	return NULL;
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* One VMM: runs until @end_ms, unless the supervisor kills it first. */
static void vmm(unsigned int seed, bool sw_protected, u64 end_ms,
		struct vmm_stats *stats)
{
	const struct vm_shape private = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	u64 fork_at = now_ms() + (end_ms - now_ms()) * (rand_r(&seed) % 100) / 100;
	struct puncher punch = { .seed = seed, .stats = stats };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thread;
	pid_t child = 0;
	int fd;

	if (sw_protected) {
		vm = vm_create_shape_with_one_vcpu(private, &vcpu, guest_code);
		fd = vm_create_guest_memfd(vm, MEM_PAGES * PAGE_SIZE,
					   plain ? 0 : GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
		vm_mem_add(vm, VM_MEM_SRC_ANONYMOUS, MEM_GPA, MEM_SLOT, MEM_PAGES,
			   KVM_MEM_GUEST_MEMFD, fd, 0);
		virt_map(vm, MEM_GPA, MEM_GPA, MEM_PAGES);
		vm_mem_set_private(vm, MEM_GPA, MEM_PAGES * PAGE_SIZE);
	} else {
		vm = vm_create_with_one_vcpu(&vcpu, guest_code);
		vm_mem_add(vm, plain ? VM_MEM_SRC_GUEST_MEMFD :
				   VM_MEM_SRC_GUEST_MEMFD_NO_DIRECT_MAP, MEM_GPA, MEM_SLOT,
			   MEM_PAGES, 0, -1, 0);
		virt_map(vm, MEM_GPA, MEM_GPA, MEM_PAGES);
		fd = memslot2region(vm, MEM_SLOT)->region.guest_memfd;
	}
	if (!cow_slot0) {
		struct userspace_mem_region *r = memslot2region(vm, 0);

		TEST_ASSERT(!madvise(r->mmap_start, r->mmap_size, MADV_DONTFORK),
			    "MADV_DONTFORK: %s", strerror(errno));
	}
	vcpu_args_set(vcpu, 1, (u64)seed);
	sync_global_to_guest(vm, guest_no_fep);
	sync_global_to_guest(vm, guest_triple_fault);
	punch.fd = fd;
	punch.stop = no_punch;
	pthread_create(&thread, NULL, punch_loop, &punch);

	while (now_ms() < end_ms) {
		vcpu_run(vcpu);
		/* E.g. a triple fault (SHUTDOWN): which VM, and where. */
		if (vcpu->run->exit_reason != KVM_EXIT_IO) {
			bool traced = trace_running();
			enum soak_signature sig;
			char gfns[256] = "";
			u64 rip;

			WRITE_ONCE(stats->reporting, true);

			printf("soak: %s VM, iteration %lu, %s: exit %s; vCPU state:\n",
			       sw_protected ? "SW-protected" : "default",
			       (unsigned long)READ_ONCE(stats->iterations),
			       child ? "after its fork()" : "not fork()ed yet",
			       exit_reason_str(vcpu->run->exit_reason));
			vcpu_dump(stdout, vcpu, 2);
			guest_walk_dump(vm, "code", (u64)guest_code, gfns, sizeof(gfns));
			guest_walk_dump(vm, "IDT", vm->arch.idt, gfns, sizeof(gfns));
			guest_walk_dump(vm, "GDT", vm->arch.gdt, gfns, sizeof(gfns));
			trace_dump(gettid(), READ_ONCE(punch.tid), gfns);
			if (tracing && !traced)
				printf("soak: KVM's trace was stopped before this report (for another): this VMM's last events may be missing\n");
			rip = trace_host_rip(getpid());
			sig = SOAK_SIG_HOST_RIP;
			if (!rip && vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN) {
				rip = trace_fetch_pf(vm, gettid());
				sig = SOAK_SIG_FETCH_PF;
			}
			fflush(stdout);
			/* The emulator's fault: killed, for the supervisor to tell. */
			if (rip) {
				WRITE_ONCE(stats->sig_rip, rip);
				WRITE_ONCE(stats->sig, sig);
				kill(getpid(), SIGKILL);
			}
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		case UCALL_SYNC:
			WRITE_ONCE(stats->iterations, uc.args[1]);
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
		/* A fork()ed VMM: the child has the fds but not the mm. */
		if (!no_fork && !child && now_ms() >= fork_at) {
			child = fork();
			TEST_ASSERT(child >= 0, "fork: %s", strerror(errno));
			if (!child) {
				usleep(rand_r(&seed) % 20000);
				_exit(0);
			}
			WRITE_ONCE(stats->forks, stats->forks + 1);
		}
	}
	WRITE_ONCE(punch.stop, true);
	pthread_join(thread, NULL);
	if (child) {
		int status;

		TEST_ASSERT_EQ(waitpid(child, &status, 0), child);
		TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
			    "fork()ed child: status 0x%x", status);
	}
	/* Half tear the VM down, half leave that to exit(). */
	if (rand_r(&seed) & 1) {
		if (sw_protected)
			close(fd);
		kvm_vm_free(vm);
	}
	exit(0);
}

/* A line in the kernel's log, at KERN_CRIT: the console prints it. */
static bool kmsg_write(const char *text)
{
	char line[128];
	int fd, n;
	bool ok;

	n = snprintf(line, sizeof(line), "<2>%s\n", text);
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd < 0)
		return false;
	ok = write(fd, line, n) == n;
	return !close(fd) && ok;
}

/*
 * The sysrq dumps @keys (e.g. "wl": blocked tasks, then every CPU's
 * backtrace) between the marker lines of soak_classify.h, inside which
 * scripts/parse-results.py does not count their backtraces as splats.
 * Without the begin marker, no dump.  KERN_CRIT is above the levels of
 * the dumps' lines, so the console prints the markers whenever it prints
 * those.
 */
static void sysrq_dump(const char *keys)
{
	static unsigned int dumps;
	char mark[64];
	int fd;

	soak_dump_mark(mark, sizeof(mark), "begin", getpid(), ++dumps);
	if (!kmsg_write(mark)) {
		printf("soak: cannot write to /dev/kmsg: no sysrq dump (unmarked, its backtraces would count as splats)\n");
		return;
	}
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		for (; *keys; keys++)
			if (write(fd, keys, 1) != 1)
				printf("soak: sysrq %c: %s\n", *keys, strerror(errno));
		close(fd);
	} else {
		printf("soak: /proc/sysrq-trigger: %s\n", strerror(errno));
	}
	soak_dump_mark(mark, sizeof(mark), "end", getpid(), dumps);
	if (!kmsg_write(mark))
		printf("soak: cannot write the end marker to /dev/kmsg: the dump's backtraces count as splats\n");
}

/*
 * A VMM that does not finish: the state, wait channel and kernel stack of
 * its threads, three times a second apart (a thread that runs in the
 * kernel, e.g. a vCPU looping in KVM_RUN, shows where), its threads' last
 * KVM events, and the kernel's stacks of blocked tasks and of every CPU
 * (sysrq w, l).  Returns the RIP of the emulated CPU's signature in the
 * trace, 0 if not seen.
 */
static u64 report_stuck(pid_t pid)
{
	char cmd[512];
	u64 rip = 0;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd),
			 "for t in /proc/%d/task/*; do echo \"soak: stuck thread $t: $(cut -d' ' -f3 $t/stat) $(cat $t/wchan)\"; sed 's/^/soak:   /' $t/stack; done",
			 pid);
		if (system(cmd))
			printf("soak: cannot list the threads of pid %d\n", pid);
		sleep(1);
	}
	if (tracing) {
		char path[64];

		trace_write("tracing_on", "0");
		fflush(stdout);
		snprintf(path, sizeof(path), "/tmp/soak-trace.stuck.%d", pid);
		trace_copy(pid, path);
		snprintf(cmd, sizeof(cmd),
			 "for t in /proc/%d/task/*; do grep -E -- \"-${t##*/} \" %s | tail -n 60; done | sed 's/^/soak trace of the stuck VMM: /'",
			 pid, trace_path);
		if (system(cmd))
			printf("soak: no trace events of pid %d\n", pid);
		rip = trace_host_rip(pid);
		unlink(path);
		snprintf(trace_path, sizeof(trace_path), "%s", TRACEFS "/trace");
	}
	sysrq_dump("wl");
	return rip;
}

static long read_removed_pages(void)
{
	FILE *f;
	long v = -1;

	if (stock)
		return 0;
	f = fopen(REMOVED_PAGES, "r");
	TEST_ASSERT(f, "%s: %s (debugfs, kernel with the series)", REMOVED_PAGES,
		    strerror(errno));
	TEST_ASSERT_EQ(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

static long meminfo_kb(const char *name)
{
	char line[128], fmt[64];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	TEST_ASSERT(f, "/proc/meminfo");
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	TEST_ASSERT(v >= 0, "no %s in /proc/meminfo", name);
	return v;
}

struct slot {
	pid_t pid;
	int idx;		/* in the stats array */
	u64 kill_at;		/* 0: let it exit by itself */
	bool kill_sent;
};

static struct slot slots[MAX_VMMS];
static u64 killed, killed_running, exited;
static unsigned int excluded;

/*
 * After the report of an excluded VMM, which stopped the trace: trace again
 * for the reports of the others, unless one of them is reporting (it
 * stopped the trace to read it).
 */
static void trace_restart(const struct slot *self, struct vmm_stats *stats)
{
	int i;

	if (!tracing)
		return;
	for (i = 0; i < MAX_VMMS; i++)
		if (&slots[i] != self && slots[i].pid &&
		    READ_ONCE(stats[slots[i].idx].reporting))
			return;
	trace_write("tracing_on", "1");
}

/*
 * A VMM that ended (@reaped, with @status), or that not even SIGKILL ended;
 * @stuck: it was still running 60 s after the soak's end, and @stuck_rip is
 * the signature's RIP in its trace.  A VMM may only die of the SIGKILL it
 * was sent, or exit 0, or be the one VMM of the run excluded as the
 * emulator's fault (soak_classify.h); else the soak fails.
 */
static void reap(struct slot *s, int status, bool reaped, bool stuck,
		 u64 stuck_rip, struct vmm_stats *stats)
{
	struct vmm_stats *st = &stats[s->idx];
	struct soak_vmm_end e = {
		.status = status,
		.reaped = reaped,
		.kill_sent = s->kill_sent,
		.stuck = stuck,
		.unexpected_exit = READ_ONCE(st->reporting),
		.sig = stuck_rip ? SOAK_SIG_HOST_RIP : READ_ONCE(st->sig),
		.sig_rip = stuck_rip ? stuck_rip : READ_ONCE(st->sig_rip),
	};
	const char *kind = !stock && (s->idx & 1) ? "SW-protected" : "default";
	char why[320], path[64];

	/* The copy of the trace its report made, if any (trace_dump()). */
	snprintf(path, sizeof(path), "/tmp/soak-trace.%d", s->pid);
	unlink(path);

	switch (soak_classify(&e, excluded, why, sizeof(why))) {
	case SOAK_KILLED:
		killed++;
		if (st->iterations)
			killed_running++;
		break;
	case SOAK_PASSED:
		exited++;
		break;
	case SOAK_EXCLUDED:
		excluded++;
		st->excluded = true;
		printf("soak: emulator fault excluded: VMM %d (pid %d, %s VM, iteration %lu): %s (a signature of the emulated CPU's fault, seen on stock 7.3.4 too; notes/soak-corruption.md); its guest's results are discarded, its memory is checked with the others' at the end\n",
		       s->idx, s->pid, kind, (unsigned long)st->iterations, why);
		fflush(stdout);
		trace_restart(s, stats);
		break;
	case SOAK_FAILED:
		if (self_test && !s->idx && e.unexpected_exit && !e.sig) {
			printf("soak: self-test: VMM 0's guest triple faulted on purpose, and that fails the run as it must: %s\n",
			       why);
			self_test_failed = true;
			/* Its report stopped the trace; the others need it. */
			trace_restart(s, stats);
			break;
		}
		TEST_FAIL("VMM %d (pid %d, %s VM): %s", s->idx, s->pid, kind, why);
	}
	s->pid = 0;
}

int main(int argc, char *argv[])
{
	u64 secs = 150, start, end, settle;
	struct vmm_stats *stats, total = {};
	long removed0, removed, spt0, spt, pt0, pt;
	unsigned int seed = 1;
	int nr = 3, opt, i, n;
	u64 spawned = 0, iterations[2] = {};

	while ((opt = getopt(argc, argv, "t:n:psEFHCT")) != -1) {
		switch (opt) {
		case 't':
			secs = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nr = atoi(optarg);
			break;
		case 'p':
			plain = true;
			break;
		case 's':
			plain = stock = true;
			break;
		case 'E':
			no_fep = guest_no_fep = true;
			break;
		case 'F':
			no_fork = true;
			break;
		case 'H':
			no_punch = true;
			break;
		case 'C':
			cow_slot0 = true;
			break;
		case 'T':
			self_test = true;
			break;
		default:
			printf("usage: %s [-t seconds] [-n parallel VMMs (1-%d)] [-p] [-s] [-E] [-F] [-H] [-C] [-T]\n",
			       argv[0], MAX_VMMS);
			return 1;
		}
	}
	TEST_ASSERT(nr >= 1 && nr <= MAX_VMMS && secs >= 1,
		    "bad arguments: -n %d (1-%d), -t %lu", nr, MAX_VMMS, secs);
	TEST_REQUIRE(stock || (kvm_check_cap(KVM_CAP_VM_TYPES) &
			       BIT(KVM_X86_SW_PROTECTED_VM)));
	TEST_REQUIRE(no_fep || is_forced_emulation_enabled);
	for (i = 0; i < 2 && !stock; i++) {
		struct kvm_vm *vm = vm_create_barebones_type(i ? KVM_X86_SW_PROTECTED_VM :
							     KVM_X86_DEFAULT_VM);

		TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_GUEST_MEMFD_FLAGS) &
			     GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
		kvm_vm_free(vm);
	}

	/* Up to 1024 VMM lifetimes, each with its own counters. */
	stats = mmap(NULL, 1024 * sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(stats != MAP_FAILED, "mmap");

	/*
	 * The baseline, once the teardown of processes that ran before (an
	 * mm whose last user was a kernel thread goes later) has settled.
	 */
	settle = now_ms() + 30000;
	removed0 = read_removed_pages();
	spt0 = meminfo_kb("SecPageTables");
	for (n = 0; n < 20 && now_ms() < settle; n++) {
		usleep(100000);
		removed = read_removed_pages();
		spt = meminfo_kb("SecPageTables");
		if (removed != removed0 || spt != spt0)
			n = 0;
		removed0 = removed;
		spt0 = spt;
	}
	TEST_ASSERT(n >= 20, "no stable baseline within 30 s: %ld pages out of the direct map, SecPageTables %ld kB",
		    removed0, spt0);
	pt0 = meminfo_kb("PageTables");
	trace_start();
	start = now_ms();
	end = start + secs * 1000;

	while (now_ms() < end) {
		for (i = 0; i < nr; i++) {
			struct slot *s = &slots[i];
			int status;

			if (s->pid) {
				if (s->kill_at && now_ms() >= s->kill_at &&
				    !READ_ONCE(stats[s->idx].reporting)) {
					kill(s->pid, SIGKILL);
					s->kill_at = 0;
					s->kill_sent = true;
				}
				if (waitpid(s->pid, &status, WNOHANG) != s->pid)
					continue;
				reap(s, status, true, false, 0, stats);
			}
			if (spawned == 1024 || now_ms() >= end)
				continue;

			/*
			 * A lifetime of 1-6 s; every third VMM is killed in the
			 * second half of it.  Odd ones are SW-protected VMs.
			 * The self-test's VMM (-T, the first) lives until its
			 * guest triple faults, however slowly the guest runs;
			 * if it never does, the end of the soak finds it stuck.
			 */
			{
				u64 life = 1000 + rand_r(&seed) % 5000;
				unsigned int vseed = rand_r(&seed) ^ spawned;

				if (self_test && !spawned)
					life = 3600 * 1000;

				s->kill_at = spawned % 3 == 2 ?
					now_ms() + life / 2 + rand_r(&seed) % (life / 2) : 0;
				s->kill_sent = false;
				s->idx = spawned;
				s->pid = fork();
				TEST_ASSERT(s->pid >= 0, "fork: %s", strerror(errno));
				if (!s->pid) {
					guest_triple_fault = self_test && !spawned;
					vmm(vseed, !stock && (spawned & 1), now_ms() + life,
					    &stats[spawned]);
				}
				spawned++;
			}
		}
		usleep(10000);
	}
	for (i = 0; i < nr; i++) {
		u64 deadline = now_ms() + 60000, rip;
		int status = 0;
		pid_t r;

		if (!slots[i].pid)
			continue;
		while (!(r = waitpid(slots[i].pid, &status, WNOHANG)) &&
		       now_ms() < deadline)
			usleep(10000);
		if (!r) {
			printf("soak: VMM %d (pid %d) still running 60 s after the end of the soak\n",
			       slots[i].idx, slots[i].pid);
			rip = report_stuck(slots[i].pid);
			/* Whether it can still be killed: a loop that checks signals. */
			kill(slots[i].pid, SIGKILL);
			deadline = now_ms() + 10000;
			while (!(r = waitpid(slots[i].pid, &status, WNOHANG)) &&
			       now_ms() < deadline)
				usleep(10000);
			TEST_ASSERT(r >= 0, "waitpid: %s", strerror(errno));
			reap(&slots[i], status, r == slots[i].pid, true, rip, stats);
			continue;
		}
		TEST_ASSERT_EQ(r, slots[i].pid);
		reap(&slots[i], status, true, false, 0, stats);
	}
	for (n = 0; n < spawned; n++) {
		/* An excluded VMM's guest's results are discarded. */
		if (stats[n].excluded)
			continue;
		total.iterations += stats[n].iterations;
		total.punches += stats[n].punches;
		total.forks += stats[n].forks;
		/* Odd VMMs run SW-protected VMs, except with -s. */
		iterations[!stock && (n & 1)] += stats[n].iterations;
	}
	pr_info("soak: %lu VMMs in %lu s (%lu killed mid-run, %lu of them with the guest running; %lu exited; %u excluded as the emulator's fault), %lu fork()s, %lu hole punches, %lu guest iterations (each an emulated load and store: %lu SW-protected, %lu default; excluded VMMs not counted)\n",
		spawned, (now_ms() - start) / 1000, killed, killed_running, exited,
		excluded, total.forks, total.punches, total.iterations,
		iterations[1], iterations[0]);
	/*
	 * The self-test's short run (-T) checks that the run fails on its
	 * deliberate shutdown and that all memory comes back; whether every
	 * path was exercised is the main soak's check: in 40 s, with its VMM 0
	 * living until the triple fault and a slow host, no VMM may have been
	 * killed with its guest running yet.
	 */
	TEST_ASSERT(self_test ||
		    (killed_running && exited && (total.forks || no_fork) &&
		     (total.punches || no_punch) &&
		     iterations[0] && (iterations[1] || stock)),
		    "the soak did not exercise every path");

	/* Teardown of the last VMMs may still be finishing in the kernel. */
	settle = now_ms() + 30000;
	do {
		usleep(100000);
		removed = read_removed_pages();
		spt = meminfo_kb("SecPageTables");
	} while ((removed != removed0 || spt != spt0) && now_ms() < settle);
	pt = meminfo_kb("PageTables");
	pr_info("soak: pages removed from the direct map: %ld before, %ld after; KVM's page tables (SecPageTables): %ld kB before, %ld kB after; all page tables (PageTables, kernel ones included): %ld kB before, %ld kB after%s\n",
		removed0, removed, spt0, spt, pt0, pt,
		excluded ? " (the excluded VMM's memory included)" : "");
	TEST_ASSERT_EQ(removed, removed0);
	TEST_ASSERT_EQ(spt, spt0);
	TEST_ASSERT(!self_test || self_test_failed,
		    "self-test: VMM 0's guest triple faulted on purpose, and the run did not fail it");
	pr_info("soak: emulator faults excluded: %u\n", excluded);
	if (self_test)
		pr_info("soak: self-test: passed (VMM 0's shutdown without a signature was a failure; the other VMMs passed; memory back)\n");
	return 0;
}
