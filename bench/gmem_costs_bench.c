// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exact event counts of NO_DIRECT_MAP guest_memfd against plain
 * guest_memfd, side by side: what each operation costs in direct map
 * changes, page-table allocations, TLB flushes, IPIs and mm-local mappings.
 * Unlike timings, these counts carry over from an emulated machine to
 * hardware.  They are deltas of /proc/vmstat events (CONFIG_VM_EVENT_COUNTERS,
 * the TLB counts need CONFIG_DEBUG_TLBFLUSH), of the "TLB" (TLB shootdown
 * IPIs received) and "CAL" (function call IPIs received, which carry the
 * kernel's global flushes) lines of /proc/interrupts, summed over CPUs,
 * and of KVM's gmem_kmap_evictions statistic.
 *
 * Operations (a COST line per operation, counter and backing):
 *   populate    fallocate() of 1 GiB
 *   populate_use the first write to each page of it, through the VMM's
 *               mapping: the folios leave the direct map on first use
 *   teardown    close() of that 1 GiB file, the VM gone, deferred work done
 *   vmm_touch   1000 first-touch faults through the VMM's mmap() (shared)
 *   guest_touch 1000 first-touch faults by a guest (shared memory)
 *   emul_in     1000 emulated private accesses inside the window
 *               (SW-protected VM, forced emulation)
 *   emul_beyond 1000 emulated private accesses, working set 4x the window
 *   nested      1000 VMRUN/#VMEXIT round trips of L2, L1 in the memory
 *   ...+spin    the same, the vCPU on CPU 0 and another thread of the VMM
 *               spinning on CPU 1, so that flushes of the VMM's mm reach a
 *               second CPU, as with a VMM's other vCPU and I/O threads
 *   punch       PUNCH_HOLE of one page in the window, in a file of -s MiB
 *               whose window is full (NR_PUNCH punches, totals printed)
 *
 * It checks that the counts it can predict are exact (pages removed and
 * restored, evictions against mm-local unmaps), and the targets of the
 * series (below), and fails if not, or on any error.  Needs
 * kvm.force_emulation_prefix=1 and SVM for "nested".
 *
 * Targets, for NO_DIRECT_MAP:
 *   teardown    no direct map split (so no page-table page allocated for
 *               one), and at most one kernel TLB flush per 2 MiB block
 *               restored; every block removed whole comes back whole
 *   nested      no mm-local map or unmap, and no TLB flush of any kind,
 *               per round trip, also with a second thread of the VMM
 *               running (then a flush would be an IPI)
 *
 * -t runs only the operations with targets, populate and teardown of
 * -m MiB (default 1024), and nested: `make check` runs it so.
 *
 * -p runs plain guest_memfd only, on a kernel with or without the series
 * (counters the kernel lacks are printed as "-"), so that the plain
 * column can be compared between the two (scripts/compare-costs.py).
 *
 * usage: gmem_costs_bench [-t] [-p] [-m populate-MiB] [-s punch-file-MiB]
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "test_util.h"
#include "ucall_common.h"

#include "fep_util.h"

#define PRIV_GPA	SZ_4G
#define PRIV_SLOT	1
#define NR_OPS		1000
#define NR_PUNCH	64
#define SETTLE_S	3	/* > the direct map's deferred work (1 s) */

/* Indexes of the counters: /proc/vmstat events first, then the others. */
enum {
	C_REMOVED,
	C_RESTORED,
	C_BLK_REMOVED,
	C_BLK_RESTORED,
	C_L2_SPLITS,
	C_L3_SPLITS,
	C_L2_COLLAPSES,
	C_L3_COLLAPSES,
	C_KFLUSH,
	C_RFLUSH,
	C_RFLUSH_RECEIVED,
	C_LFLUSH_ALL,
	C_LFLUSH_ONE,
	C_MAP,
	C_UNMAP,
	C_LFLUSH,
	C_SHOOTDOWN,
	NR_VMSTAT,
	C_IRQ_TLB = NR_VMSTAT,
	C_IRQ_CAL,
	C_EVICT,
	NR_COUNTERS
};

/* /proc/vmstat events, by index; the kernel's own names. */
static const char * const vmstat_names[NR_VMSTAT] = {
	[C_REMOVED] = "direct_map_pages_removed",
	[C_RESTORED] = "direct_map_pages_restored",
	[C_BLK_REMOVED] = "direct_map_blocks_removed",
	[C_BLK_RESTORED] = "direct_map_blocks_restored",
	[C_L2_SPLITS] = "direct_map_level2_splits",
	[C_L3_SPLITS] = "direct_map_level3_splits",
	[C_L2_COLLAPSES] = "direct_map_level2_collapses",
	[C_L3_COLLAPSES] = "direct_map_level3_collapses",
	[C_KFLUSH] = "nr_tlb_kernel_flush",
	[C_RFLUSH] = "nr_tlb_remote_flush",
	[C_RFLUSH_RECEIVED] = "nr_tlb_remote_flush_received",
	[C_LFLUSH_ALL] = "nr_tlb_local_flush_all",
	[C_LFLUSH_ONE] = "nr_tlb_local_flush_one",
	[C_MAP] = "mm_local_map",
	[C_UNMAP] = "mm_local_unmap",
	[C_LFLUSH] = "mm_local_tlb_flush",
	[C_SHOOTDOWN] = "mm_local_tlb_shootdown",
};

static const char *counter_name(int i)
{
	switch (i) {
	case C_IRQ_TLB: return "irq_tlb_shootdowns";
	case C_IRQ_CAL: return "irq_function_calls";
	case C_EVICT: return "gmem_kmap_evictions";
	}
	return vmstat_names[i];
}

struct counts {
	u64 v[NR_COUNTERS];
};

static int failures;
/* -p: plain guest_memfd only; counters the kernel lacks are not read. */
static bool plain_only;
static bool missing[NR_VMSTAT];

#define CHECK(cond, fmt, ...)							\
do {										\
	if (!(cond)) {								\
		printf("CHECK FAILED: " fmt "\n", ##__VA_ARGS__);		\
		failures++;							\
	}									\
} while (0)

static void read_vmstat(struct counts *c)
{
	bool seen[NR_VMSTAT] = {};
	char name[64];
	u64 val;
	FILE *f;
	int i;

	f = fopen("/proc/vmstat", "r");
	TEST_ASSERT(f, "/proc/vmstat");
	while (fscanf(f, "%63s %lu", name, &val) == 2) {
		for (i = 0; i < NR_VMSTAT; i++) {
			if (!strcmp(name, vmstat_names[i])) {
				c->v[i] = val;
				seen[i] = true;
			}
		}
	}
	fclose(f);
	for (i = 0; i < NR_VMSTAT; i++) {
		missing[i] = !seen[i];
		TEST_ASSERT(seen[i] || plain_only,
			    "no %s in /proc/vmstat (CONFIG_VM_EVENT_COUNTERS, CONFIG_DEBUG_TLBFLUSH?)",
			    vmstat_names[i]);
	}
}

/* The sum over CPUs of the /proc/interrupts line @tag ("TLB:"). */
static u64 read_irq_line(const char *tag)
{
	char line[4096], *p, *end;
	u64 sum = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	TEST_ASSERT(f, "/proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, tag, strlen(tag)))
			continue;
		p += strlen(tag);
		for (;;) {
			u64 v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		found = true;
		break;
	}
	fclose(f);
	TEST_ASSERT(found, "no %s line in /proc/interrupts", tag);
	return sum;
}

static void snapshot(struct counts *c, struct kvm_vm *vm)
{
	memset(c, 0, sizeof(*c));
	read_vmstat(c);
	c->v[C_IRQ_TLB] = read_irq_line("TLB:");
	c->v[C_IRQ_CAL] = read_irq_line("CAL:");
	c->v[C_EVICT] = vm && !plain_only ? vm_get_stat(vm, gmem_kmap_evictions) : 0;
}

static void delta(struct counts *d, const struct counts *a,
		  const struct counts *b)
{
	int i;

	for (i = 0; i < NR_COUNTERS; i++)
		d->v[i] = b->v[i] - a->v[i];
}

/* results[op][ndm] */
enum {
	OP_POPULATE,
	OP_POPULATE_USE,
	OP_TEARDOWN,
	OP_VMM_TOUCH,
	OP_GUEST_TOUCH,
	OP_EMUL_IN,
	OP_EMUL_BEYOND,
	OP_EMUL_BEYOND_SPIN,
	OP_NESTED,
	OP_NESTED_SPIN,
	OP_PUNCH,
	NR_OP
};

static const char * const op_names[NR_OP] = {
	"populate", "populate_use", "teardown", "vmm_touch", "guest_touch", "emul_in",
	"emul_beyond", "emul_beyond+spin", "nested", "nested+spin", "punch",
};

static const char *op_units[NR_OP];
static struct counts results[NR_OP][2];
static bool done[NR_OP];

/*
 * A thread of the VMM that spins in user space on another CPU than the
 * vCPU's, as a VMM's other vCPU and I/O threads do: the mm stays loaded
 * there, so flushes of the mm (and of its mm-local mappings) reach it.
 */
static bool spin_stop;
static bool spin_on;

static void *spin_fn(void *arg)
{
	while (!READ_ONCE(spin_stop))
		;
	return NULL;
}

static void pin_to(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!pthread_setaffinity_np(t, sizeof(set), &set), "pin to CPU %d", cpu);
}

static pthread_t spin_start(void)
{
	pthread_t t;

	WRITE_ONCE(spin_stop, false);
	pin_to(pthread_self(), 0);
	TEST_ASSERT(!pthread_create(&t, NULL, spin_fn, NULL), "pthread_create");
	pin_to(t, 1);
	usleep(100000);
	return t;
}

static void spin_end(pthread_t t)
{
	cpu_set_t set;
	int i;

	WRITE_ONCE(spin_stop, true);
	pthread_join(t, NULL);
	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static u64 gmem_flags(bool ndm)
{
	return ndm ? GUEST_MEMFD_FLAG_NO_DIRECT_MAP : 0;
}

static u64 pop_size = SZ_1G;

/*
 * populate and teardown of pop_size bytes (1 GiB), in a default VM's
 * guest_memfd.
 * fallocate() adds the folios; they leave the direct map on first use,
 * here a write to each page through the VMM's mapping.
 */
static void bench_populate_teardown(bool ndm)
{
	struct counts a, b;
	struct kvm_vm *vm;
	u8 *p;
	u64 i;
	int fd;

	vm = vm_create_barebones();
	fd = vm_create_guest_memfd(vm, pop_size, gmem_flags(ndm) |
				   GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	p = mmap(NULL, pop_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap guest_memfd");

	sleep(SETTLE_S);
	snapshot(&a, NULL);
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, pop_size), "fallocate");
	sleep(SETTLE_S);
	snapshot(&b, NULL);
	delta(&results[OP_POPULATE][ndm], &a, &b);

	snapshot(&a, NULL);
	for (i = 0; i < pop_size; i += PAGE_SIZE)
		WRITE_ONCE(p[i], 1);
	sleep(SETTLE_S);
	snapshot(&b, NULL);
	delta(&results[OP_POPULATE_USE][ndm], &a, &b);
	for (i = 0; i < pop_size; i += PAGE_SIZE)
		TEST_ASSERT_EQ(READ_ONCE(p[i]), 1);
	munmap((void *)p, pop_size);

	kvm_vm_free(vm);
	sleep(SETTLE_S);
	snapshot(&a, NULL);
	close(fd);
	sleep(SETTLE_S);
	snapshot(&b, NULL);
	delta(&results[OP_TEARDOWN][ndm], &a, &b);
}

/* First touch of NR_OPS pages through the VMM's mapping of the file. */
static void bench_vmm_touch(bool ndm)
{
	u64 size = NR_OPS * PAGE_SIZE;
	struct counts a, b;
	struct kvm_vm *vm;
	u8 *p;
	int fd, i;

	vm = vm_create_barebones();
	fd = vm_create_guest_memfd(vm, size, gmem_flags(ndm) |
				   GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap guest_memfd");

	snapshot(&a, NULL);
	for (i = 0; i < NR_OPS; i++)
		WRITE_ONCE(p[(u64)i * PAGE_SIZE], i);
	snapshot(&b, NULL);
	delta(&results[OP_VMM_TOUCH][ndm], &a, &b);

	for (i = 0; i < NR_OPS; i++)
		TEST_ASSERT_EQ(READ_ONCE(p[(u64)i * PAGE_SIZE]), (u8)i);
	munmap((void *)p, size);
	close(fd);
	kvm_vm_free(vm);
}

static void run_to_sync(struct kvm_vcpu *vcpu, u64 want)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == want, "sync %lu, expected %lu",
			    uc.args[1], want);
		break;
	case UCALL_DONE:
		TEST_ASSERT(want == ~0ull, "guest done early");
		break;
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
}

/*
 * Count what the guest does between its syncs 0 and 1 into
 * results[@op][@ndm], with another VMM thread spinning if @spin, then let
 * it finish.
 */
static void measure_guest(struct kvm_vcpu *vcpu, struct kvm_vm *vm, int op,
			  bool ndm, bool spin)
{
	pthread_t t = 0;
	struct counts a, b;

	if (spin)
		t = spin_start();
	run_to_sync(vcpu, 0);
	/* The direct map's deferred work of earlier operations is done. */
	sleep(SETTLE_S);
	snapshot(&a, vm);
	run_to_sync(vcpu, 1);
	snapshot(&b, vm);
	if (spin)
		spin_end(t);
	delta(&results[op][ndm], &a, &b);
	run_to_sync(vcpu, ~0ull);
}

static void guest_touch_code(u64 nr)
{
	u64 i;

	GUEST_SYNC(0);
	for (i = 0; i < nr; i++)
		WRITE_ONCE(*(u64 *)(PRIV_GPA + i * PAGE_SIZE), i);
	GUEST_SYNC(1);
	for (i = 0; i < nr; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(PRIV_GPA + i * PAGE_SIZE)), i);
	GUEST_DONE();
}

/* First touch of NR_OPS shared pages by a guest. */
static void bench_guest_touch(bool ndm)
{
	struct kvm_vcpu *vcpu;
	struct counts a, b;
	struct kvm_vm *vm;

	/* The library creates and maps the file, shared. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_touch_code);
	vm_mem_add(vm, ndm ? VM_MEM_SRC_GUEST_MEMFD_NO_DIRECT_MAP :
		   VM_MEM_SRC_GUEST_MEMFD, PRIV_GPA, PRIV_SLOT, NR_OPS, 0, -1, 0);
	virt_map(vm, PRIV_GPA, PRIV_GPA, NR_OPS);
	vcpu_args_set(vcpu, 1, (u64)NR_OPS);

	run_to_sync(vcpu, 0);
	snapshot(&a, vm);
	run_to_sync(vcpu, 1);
	snapshot(&b, vm);
	delta(&results[OP_GUEST_TOUCH][ndm], &a, &b);
	run_to_sync(vcpu, ~0ull);
	kvm_vm_free(vm);
}

static u64 *emul_word(u64 page)
{
	return (u64 *)(PRIV_GPA + page * PAGE_SIZE) + page % 512;
}

/*
 * Emulated stores to every page (warm-up: the window is full afterwards),
 * then @nr emulated loads page after page, checked.
 */
static void guest_emul_code(u64 pages, u64 nr)
{
	u64 i;

	for (i = 0; i < pages; i++)
		fep_store(emul_word(i), i ^ 0x5a5a5a5a);
	GUEST_SYNC(0);
	for (i = 0; i < nr; i++)
		GUEST_ASSERT_EQ(fep_load(emul_word(i % pages)), (i % pages) ^ 0x5a5a5a5a);
	GUEST_SYNC(1);
	GUEST_DONE();
}

/*
 * A SW-protected VM with @file_pages of private memory; guest page k maps
 * file page k * @stride, for @pages pages.
 */
static struct kvm_vm *create_private_vm(struct kvm_vcpu **vcpu, void *code,
					bool ndm, u64 file_pages, u64 pages,
					u64 stride, int *fd)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vm *vm;
	u64 i;

	vm = vm_create_shape_with_one_vcpu(shape, vcpu, code);
	*fd = vm_create_guest_memfd(vm, file_pages * PAGE_SIZE, gmem_flags(ndm));
	vm_mem_add(vm, VM_MEM_SRC_ANONYMOUS, PRIV_GPA, PRIV_SLOT, file_pages,
		   KVM_MEM_GUEST_MEMFD, *fd, 0);
	for (i = 0; i < pages; i++)
		virt_pg_map(vm, PRIV_GPA + i * PAGE_SIZE,
			    PRIV_GPA + i * stride * PAGE_SIZE);
	vm_mem_set_private(vm, PRIV_GPA, file_pages * PAGE_SIZE);
	return vm;
}

static void bench_emul(bool ndm, int op, u64 pages)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd;

	vm = create_private_vm(&vcpu, guest_emul_code, ndm, pages, pages, 1, &fd);
	vcpu_args_set(vcpu, 2, pages, (u64)NR_OPS);
	measure_guest(vcpu, vm, op, ndm, op == OP_EMUL_BEYOND_SPIN);
	close(fd);
	kvm_vm_free(vm);
}

static void l2_code(void)
{
	for (;;)
		vmmcall();
}

#define NESTED_WARMUP	10

static void l1_code(struct svm_test_data *svm, u64 nr)
{
	struct vmcb *vmcb = svm->vmcb;
	u64 i;

	generic_svm_setup(svm, l2_code);
	for (i = 0; i < NESTED_WARMUP + nr; i++) {
		if (i == NESTED_WARMUP)
			GUEST_SYNC(0);
		run_guest(vmcb, svm->vmcb_gpa);
		__GUEST_ASSERT(vmcb->control.exit_code == SVM_EXIT_VMMCALL,
			       "L2 exit 0x%lx, expected VMMCALL",
			       vmcb->control.exit_code);
		vmcb->save.rip += 3;	/* VMMCALL */
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

/* L1 (all of memslot 0) in guest_memfd memory, with or without NDM. */
static void bench_nested(bool ndm, int op)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	gva_t svm_gva;

	setenv("KVM_SELFTESTS_MEM_SRC",
	       ndm ? "guest_memfd_no_direct_map" : "guest_memfd", 1);
	vm = vm_create_with_one_vcpu(&vcpu, l1_code);
	unsetenv("KVM_SELFTESTS_MEM_SRC");
	vcpu_alloc_svm(vm, &svm_gva);
	vcpu_args_set(vcpu, 2, svm_gva, (u64)NR_OPS);

	measure_guest(vcpu, vm, op, ndm, op == OP_NESTED_SPIN);
	kvm_vm_free(vm);
}

/* Fill the window with @pages pages spread over the file, then stop. */
static void guest_fill_code(u64 pages)
{
	u64 i;

	for (i = 0; i < pages; i++)
		fep_store(emul_word(i), i);
	GUEST_SYNC(0);
	GUEST_DONE();
}

static void bench_punch(bool ndm, u64 file_mib, u64 window)
{
	u64 file_pages = file_mib << (20 - PAGE_SHIFT), stride = file_pages / window;
	struct kvm_vcpu *vcpu;
	struct counts a, b;
	struct kvm_vm *vm;
	int fd, i;

	vm = create_private_vm(&vcpu, guest_fill_code, ndm, file_pages, window,
			       stride, &fd);
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, file_pages * PAGE_SIZE),
		    "fallocate %lu MiB", file_mib);
	vcpu_args_set(vcpu, 1, window);
	run_to_sync(vcpu, 0);
	if (ndm)
		TEST_ASSERT_EQ(vm_get_stat(vm, gmem_kmap_pages), window);

	sleep(SETTLE_S);
	snapshot(&a, vm);
	for (i = 0; i < NR_PUNCH; i++) {
		/* Pages spread over the file, each one in the window. */
		u64 page = (u64)i * (window / NR_PUNCH) * stride;

		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				       page * PAGE_SIZE, PAGE_SIZE), "PUNCH_HOLE");
	}
	sleep(SETTLE_S);
	snapshot(&b, vm);
	delta(&results[OP_PUNCH][ndm], &a, &b);
	if (ndm)
		TEST_ASSERT_EQ(vm_get_stat(vm, gmem_kmap_pages), window - NR_PUNCH);

	run_to_sync(vcpu, ~0ull);
	close(fd);
	kvm_vm_free(vm);
}

static void print_results(void)
{
	int op, i;

	printf("COST %-16s %-29s %12s %12s  %s\n", "operation", "counter",
	       "no_direct_map", "plain", "unit");
	for (op = 0; op < NR_OP; op++) {
		if (!done[op])
			continue;
		for (i = 0; i < NR_COUNTERS; i++) {
			char ndm[24] = "-", plain[24] = "-";

			if (!plain_only)
				snprintf(ndm, sizeof(ndm), "%lu", results[op][1].v[i]);
			if (!(i < NR_VMSTAT && missing[i]) &&
			    !(plain_only && i == C_EVICT))
				snprintf(plain, sizeof(plain), "%lu", results[op][0].v[i]);
			printf("COST %-16s %-29s %12s %12s  %s\n", op_names[op],
			       counter_name(i), ndm, plain, op_units[op]);
		}
	}
}

/* The targets: see the top of the file. */
static void check_targets(void)
{
	static const int nested_zero[] = {
		C_MAP, C_UNMAP, C_LFLUSH, C_SHOOTDOWN, C_KFLUSH, C_RFLUSH,
		C_RFLUSH_RECEIVED, C_LFLUSH_ONE, C_LFLUSH_ALL, C_IRQ_TLB,
	};
	struct counts *t = results[OP_TEARDOWN];
	int op, ndm, i;

	for (ndm = 0; ndm <= !plain_only; ndm++) {
		CHECK(!t[ndm].v[C_L2_SPLITS] && !t[ndm].v[C_L3_SPLITS],
		      "teardown%s: %lu 2M and %lu 1G direct map splits, want 0",
		      ndm ? "" : " (plain)", t[ndm].v[C_L2_SPLITS],
		      t[ndm].v[C_L3_SPLITS]);
		CHECK(t[ndm].v[C_KFLUSH] <= t[ndm].v[C_BLK_RESTORED],
		      "teardown%s: %lu kernel TLB flushes for %lu 2M blocks",
		      ndm ? "" : " (plain)", t[ndm].v[C_KFLUSH],
		      t[ndm].v[C_BLK_RESTORED]);
	}
	CHECK(plain_only || t[1].v[C_BLK_RESTORED] == pop_size / SZ_2M,
	      "teardown: %lu 2M blocks back whole, want %lu",
	      t[1].v[C_BLK_RESTORED], pop_size / SZ_2M);

	for (op = OP_NESTED; op <= OP_NESTED_SPIN; op++) {
		if (!done[op])
			continue;
		for (ndm = 0; ndm <= !plain_only; ndm++)
			for (i = 0; i < ARRAY_SIZE(nested_zero); i++)
				CHECK(!results[op][ndm].v[nested_zero[i]],
				      "%s%s: %s %lu per %d round trips, want 0",
				      op_names[op], ndm ? "" : " (plain)",
				      counter_name(nested_zero[i]),
				      results[op][ndm].v[nested_zero[i]], NR_OPS);
	}
}

static void check_results(bool emul, u64 window)
{
	/* As kvm_gmem_kwin_batch(). */
	u64 batch = window / 32 < 1 ? 1 : window / 32 > 16 ? 16 : window / 32;
	struct counts *p = results[OP_POPULATE_USE], *t = results[OP_TEARDOWN];
	struct counts *e = results[OP_EMUL_BEYOND];
	const u64 gib_pages = pop_size / PAGE_SIZE;

	if (plain_only)
		return;

	/* Exactly the pages fallocate() added leave, and come back. */
	CHECK(results[OP_POPULATE][1].v[C_REMOVED] + p[1].v[C_REMOVED] == gib_pages,
	      "populate: %lu + %lu pages removed, want %lu",
	      results[OP_POPULATE][1].v[C_REMOVED], p[1].v[C_REMOVED], gib_pages);
	CHECK(t[1].v[C_RESTORED] == gib_pages, "teardown: %lu pages restored, want %lu",
	      t[1].v[C_RESTORED], gib_pages);
	CHECK(p[0].v[C_REMOVED] == 0 && t[0].v[C_RESTORED] == 0,
	      "plain guest_memfd removed %lu, restored %lu pages",
	      p[0].v[C_REMOVED], t[0].v[C_RESTORED]);
	/* Blocks removed whole come back whole on teardown. */
	CHECK(p[1].v[C_BLK_REMOVED] == t[1].v[C_BLK_RESTORED],
	      "%lu blocks removed whole, %lu restored whole",
	      p[1].v[C_BLK_REMOVED], t[1].v[C_BLK_RESTORED]);
	if (!emul)
		return;

	/*
	 * Each eviction unmaps one page; the window evicts in batches of
	 * kvm_gmem_kwin_batch() pages, one flush per batch.
	 */
	CHECK(e[1].v[C_UNMAP] == e[1].v[C_EVICT] &&
	      e[1].v[C_LFLUSH] <= DIV_ROUND_UP(e[1].v[C_EVICT], batch) + 1,
	      "emul_beyond: %lu evictions, %lu mm-local pages unmapped, %lu flushes (batch %lu)",
	      e[1].v[C_EVICT], e[1].v[C_UNMAP], e[1].v[C_LFLUSH], batch);
	CHECK(e[0].v[C_MAP] == 0 && e[0].v[C_UNMAP] == 0,
	      "plain guest_memfd: %lu mm-local maps, %lu unmaps", e[0].v[C_MAP], e[0].v[C_UNMAP]);
	if (spin_on) {
		e = results[OP_EMUL_BEYOND_SPIN];
		/*
		 * A flush that reaches the spinning CPU is one IPI there: the
		 * count of shootdowns is the count of TLB shootdown IPIs.
		 */
		CHECK(e[1].v[C_LFLUSH] <= DIV_ROUND_UP(e[1].v[C_EVICT], batch) + 1 &&
		      e[1].v[C_SHOOTDOWN] <= e[1].v[C_LFLUSH] &&
		      e[1].v[C_SHOOTDOWN] == e[1].v[C_IRQ_TLB],
		      "emul_beyond+spin: %lu evictions, %lu flushes, %lu shootdowns, %lu shootdown IPIs",
		      e[1].v[C_EVICT], e[1].v[C_LFLUSH], e[1].v[C_SHOOTDOWN],
		      e[1].v[C_IRQ_TLB]);
	}
	/* The punched pages were mapped: one unmap each. */
	CHECK(results[OP_PUNCH][1].v[C_UNMAP] == NR_PUNCH,
	      "punch: %lu mm-local pages unmapped, want %d",
	      results[OP_PUNCH][1].v[C_UNMAP], NR_PUNCH);
}

int main(int argc, char *argv[])
{
	static char punch_unit[64], pop_unit[32];
	u64 window, punch_mib = 2048, flags;
	bool nested, emul, targets = false;
	struct kvm_vm *vm;
	int opt, ndm;

	while ((opt = getopt(argc, argv, "tpm:s:")) != -1) {
		switch (opt) {
		case 't':
			targets = true;
			break;
		case 'p':
			plain_only = true;
			break;
		case 'm':
			pop_size = strtoull(optarg, NULL, 0) << 20;
			break;
		case 's':
			punch_mib = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-t] [-p] [-m populate-MiB] [-s punch-file-MiB]\n",
				argv[0]);
			return 1;
		}
	}
	TEST_ASSERT(pop_size && !(pop_size % SZ_2M),
		    "-m: a multiple of 2 MiB, not %lu bytes", pop_size);

	vm = vm_create_barebones();
	flags = vm_check_cap(vm, KVM_CAP_GUEST_MEMFD_FLAGS);
	kvm_vm_free(vm);
	TEST_REQUIRE(plain_only || (flags & GUEST_MEMFD_FLAG_NO_DIRECT_MAP));
	/* Emulation and punch measure the window of NO_DIRECT_MAP memory. */
	emul = !targets && !plain_only &&
	       (kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM)) &&
	       is_forced_emulation_enabled;
	nested = kvm_cpu_has(X86_FEATURE_SVM) && kvm_cpu_has_npt();
	window = plain_only ? 0 : get_kvm_param_integer("gmem_kmap_pages");
	TEST_ASSERT(plain_only || (window >= NR_PUNCH && window <= 65536),
		    "kvm.gmem_kmap_pages = %lu", window);

	snprintf(punch_unit, sizeof(punch_unit), "per %d punches, %lu MiB file",
		 NR_PUNCH, punch_mib);
	if (pop_size == SZ_1G)
		snprintf(pop_unit, sizeof(pop_unit), "per GiB");
	else
		snprintf(pop_unit, sizeof(pop_unit), "per %lu MiB", pop_size >> 20);
	op_units[OP_POPULATE] = pop_unit;
	op_units[OP_POPULATE_USE] = pop_unit;
	op_units[OP_TEARDOWN] = pop_unit;
	op_units[OP_VMM_TOUCH] = "per 1000 faults";
	op_units[OP_GUEST_TOUCH] = "per 1000 faults";
	op_units[OP_EMUL_IN] = "per 1000 accesses";
	op_units[OP_EMUL_BEYOND] = "per 1000 accesses";
	op_units[OP_NESTED] = "per 1000 round trips";
	op_units[OP_EMUL_BEYOND_SPIN] = "per 1000 accesses";
	op_units[OP_NESTED_SPIN] = "per 1000 round trips";
	op_units[OP_PUNCH] = punch_unit;

	spin_on = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	printf("gmem_costs_bench: %d CPUs online, window %lu pages\n",
	       (int)sysconf(_SC_NPROCESSORS_ONLN), window);
	for (ndm = !plain_only; ndm >= 0; ndm--) {
		bench_populate_teardown(ndm);
		if (!targets) {
			bench_vmm_touch(ndm);
			bench_guest_touch(ndm);
		}
		if (emul) {
			bench_emul(ndm, OP_EMUL_IN, window / 2);
			bench_emul(ndm, OP_EMUL_BEYOND, 4 * window);
			if (spin_on)
				bench_emul(ndm, OP_EMUL_BEYOND_SPIN, 4 * window);
		}
		if (nested) {
			bench_nested(ndm, OP_NESTED);
			if (spin_on)
				bench_nested(ndm, OP_NESTED_SPIN);
		}
		if (emul)
			bench_punch(ndm, punch_mib, window);
	}
	done[OP_POPULATE] = true;
	done[OP_POPULATE_USE] = true;
	done[OP_TEARDOWN] = true;
	done[OP_VMM_TOUCH] = !targets;
	done[OP_GUEST_TOUCH] = !targets;
	done[OP_EMUL_IN] = emul;
	done[OP_EMUL_BEYOND] = emul;
	done[OP_PUNCH] = emul;
	done[OP_EMUL_BEYOND_SPIN] = emul && spin_on;
	done[OP_NESTED] = nested;
	done[OP_NESTED_SPIN] = nested && spin_on;
	print_results();
	if (!emul && !targets)
		printf("gmem_costs_bench: no SW-protected VMs or forced emulation: %s\n",
		       "emulation and punch left out");
	if (!nested)
		printf("gmem_costs_bench: no nested SVM: nested left out\n");
	check_results(emul, window);
	check_targets();
	TEST_ASSERT(!failures, "%d count(s) not as expected", failures);
	return 0;
}
