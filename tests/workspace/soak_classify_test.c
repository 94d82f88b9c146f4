// SPDX-License-Identifier: GPL-2.0-only
/*
 * The soak's classification (soak/soak_classify.h), without a kernel: the
 * signature read from lines of KVM's trace, and the verdict on each way a
 * VMM can end.  Prints one line per check that fails and exits 1 if any
 * did.
 *
 * "soak_classify_test mark begin|end PID N" prints the marker line the soak
 * writes to the kernel's log instead, for tests/workspace/run.sh to build
 * console logs with.
 */
#include "soak_classify.h"

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("soak_classify_test: line %d: ", __LINE__);\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			failures++;					\
		}							\
	} while (0)

static const pid_t tids[] = { 2345, 2347 };

/* @line's signature RIP for the threads 2345 and 2347, 0 if none. */
static unsigned long long sig(const char *line)
{
	unsigned long long rip = 0;

	if (!soak_trace_host_rip(line, tids, 2, &rip))
		return 0;
	return rip;
}

static void test_trace_lines(void)
{
	/* SN1's exit: the host's RIP after the #VMEXIT. */
	CHECK(sig("   gmem_ndm_soak-2345    [001] d..2.   212.345678: kvm_exit: vcpu 0 reason npf rip 0xffffffff9c7fec8c info1 0x0000000000000006 info2 0x000000010b8ccfe0 intr_info 0x00000000 error_code 0x00000000 requests 0x0000000000000000\n") ==
	      0xffffffff9c7fec8cull, "kvm_exit at a kernel RIP");
	CHECK(sig("   gmem_ndm_soak-2347    [000] d..2.   212.345679: kvm_entry: vcpu 0, rip 0xffffffff9c7fec8c intr_info 0x80000b0e error_code 0x00000010\n") ==
	      0xffffffff9c7fec8cull, "kvm_entry at a kernel RIP, the other thread");
	/* The start of the kernel's half, and just below it. */
	CHECK(sig("gmem_ndm_soak-2345 [001] d..2. 1.0: kvm_entry: vcpu 0, rip 0xffff800000000000 intr_info 0x0 error_code 0x0\n") ==
	      0xffff800000000000ull, "the lowest kernel-half RIP");
	CHECK(!sig("gmem_ndm_soak-2345 [001] d..2. 1.0: kvm_entry: vcpu 0, rip 0xffff7fffffffffff intr_info 0x0 error_code 0x0\n"),
	      "a non-canonical RIP below the kernel's half");
	/* The guest where it belongs. */
	CHECK(!sig("   gmem_ndm_soak-2345    [001] d..2.   212.345600: kvm_exit: vcpu 0 reason npf rip 0x4033bb info1 0x0\n"),
	      "kvm_exit at the guest's RIP");
	/* Another thread, whose tid ends like one of ours. */
	CHECK(!sig("   gmem_ndm_soak-12345   [001] d..2.   212.345678: kvm_exit: vcpu 0 reason npf rip 0xffffffff9c7fec8c info1 0x0\n"),
	      "tid 12345 is not 2345");
	CHECK(!sig("   gmem_ndm_soak-234     [001] d..2.   212.345678: kvm_exit: vcpu 0 reason npf rip 0xffffffff9c7fec8c info1 0x0\n"),
	      "tid 234 is not 2345");
	/* A kernel address in another event is not the signature. */
	CHECK(!sig("   gmem_ndm_soak-2345    [001] d..2.   212.345678: kvm_page_fault: vcpu 0 rip 0xffffffff9c7fec8c address 0x10b8ccfe0 error_code 0x6\n"),
	      "kvm_page_fault is not kvm_entry or kvm_exit");
	CHECK(!sig("   gmem_ndm_soak-2345    [001] d..2.   212.345678: kvm_inj_exception: #PF (0x10)\n"),
	      "an event without a RIP");
	/* A command name with dashes, digits and brackets; record-tgid. */
	CHECK(sig("  my-vmm-12 [x]-2345 [001] d..2. 212.3: kvm_exit: vcpu 0 reason npf rip 0xffffffff81000000 info1 0x0\n") ==
	      0xffffffff81000000ull, "comm with dashes and brackets");
	CHECK(sig("   gmem_ndm_soak-2345    (   2340) [001] d..2.   212.345678: kvm_exit: vcpu 0 reason npf rip 0xffffffff81000000 info1 0x0\n") ==
	      0xffffffff81000000ull, "record-tgid format");
	CHECK(!sig("   gmem_ndm_soak-2340    (   2345) [001] d..2.   212.345678: kvm_exit: vcpu 0 reason npf rip 0xffffffff81000000 info1 0x0\n"),
	      "a tgid of ours is not a tid of ours");
	/* tracefs' header and malformed lines. */
	CHECK(!sig("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"), "header");
	CHECK(!sig("kvm_exit: vcpu 0 reason npf rip 0xffffffff81000000\n"), "no task field");
	CHECK(!sig("gmem_ndm_soak-2345 [001] d..2. 1.0: kvm_exit: vcpu 0 reason npf rip 0x\n"),
	      "no digits");
	CHECK(!sig(""), "empty line");
}

/* A kvm_exit of thread 2345: "reason R ... intr_info I error_code E". */
static bool fetch_pf(const char *line)
{
	struct soak_trace_exit ex;

	return soak_trace_exit(line, 2345, &ex) && soak_exit_is_fetch_pf(&ex);
}

static void test_fetch_pf_lines(void)
{
	struct soak_trace_exit ex = {};
	unsigned long long pfn = 0;

	/* soak-compare run 8 (QEMU 11.1.3): the exit, read field by field. */
	CHECK(soak_trace_exit("   gmem_ndm_soak-2345    [000] d..1.   185.010416: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x80000b0e error_code 0x00000010 requests 0x0000000000000000\n",
			      2345, &ex) &&
	      !strcmp(ex.reason, "shutdown") && ex.rip == 0x4029c6 &&
	      ex.intr_info == 0x80000b0e && ex.error_code == 0x10,
	      "shutdown exit: reason \"%s\" rip 0x%llx intr_info 0x%llx error_code 0x%llx",
	      ex.reason, ex.rip, ex.intr_info, ex.error_code);
	CHECK(fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000010 requests 0x0\n"),
	      "a shutdown on a not-present fetch #PF");
	/* A reason of two words. */
	CHECK(soak_trace_exit("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason UD excp rip 0x402973 info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000 requests 0x0\n",
			      2345, &ex) && !strcmp(ex.reason, "UD excp"),
	      "reason \"UD excp\": \"%s\"", ex.reason);
	/* What a correct CPU may do: not the signature. */
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000011 requests 0x0\n"),
	      "a protection fault on a fetch (P=1)");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000018 requests 0x0\n"),
	      "a reserved-bit fault on a fetch");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000002 requests 0x0\n"),
	      "a write fault (soak-compare run 2, at a host RIP)");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0d error_code 0x00000000 requests 0x0\n"),
	      "a #GP being delivered");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000 requests 0x0\n"),
	      "a shutdown with no event being delivered");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason npf rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000010 requests 0x0\n"),
	      "not a shutdown");
	CHECK(!fetch_pf("gmem_ndm_soak-12345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown rip 0x4029c6 info1 0x0 info2 0x0 intr_info 0x80000b0e error_code 0x00000010 requests 0x0\n"),
	      "another thread");
	CHECK(!fetch_pf("gmem_ndm_soak-2345 [000] d..1. 1.0: kvm_exit: vcpu 0 reason shutdown\n"),
	      "a truncated line");

	/* Installs: soak-compare run 8's PML4 frame, and a 2M leaf. */
	CHECK(soak_trace_spte_install("   gmem_ndm_soak-2345     [001] ...2.   181.117705: kvm_tdp_mmu_spte_changed: as id 0 gfn 180 level 1 old_spte 8000000000000000 new_spte 104c58e67\n",
				      2345, 0x180, &pfn) && pfn == 0x104c58,
	      "4K install: pfn 0x%llx", pfn);
	CHECK(soak_trace_spte_install("gmem_ndm_soak-2345 [001] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 180 level 1 old_spte 8000000000000000 new_spte 104c58e67\n",
				      2345, 0x181, &pfn) && pfn == -1ull,
	      "a 4K install does not cover the next frame: 0x%llx", pfn);
	CHECK(soak_trace_spte_install("gmem_ndm_soak-2345 [001] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 200 level 2 old_spte 8000000000000000 new_spte 10a200ee7\n",
				      2345, 0x20e, &pfn) && pfn == 0x10a20e,
	      "2M install covers gfn 0x20e: pfn 0x%llx", pfn);
	CHECK(!soak_trace_spte_install("gmem_ndm_soak-2345 [001] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 200 level 2 old_spte 8000000000000000 new_spte 10a200e67\n",
				       2345, 0x20e, &pfn),
	      "a level-2 entry without the large bit is a table, not a leaf");
	CHECK(!soak_trace_spte_install("gmem_ndm_soak-2345 [001] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 180 level 1 old_spte 104c58e67 new_spte 8000000000000000\n",
				       2345, 0x180, &pfn),
	      "a zap is not an install");
	CHECK(!soak_trace_spte_install("gmem_ndm_soak-2345 [001] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 1 gfn 180 level 1 old_spte 8000000000000000 new_spte 104c58e67\n",
				       2345, 0x180, &pfn),
	      "address space 1 (SMM)");
	CHECK(!soak_trace_spte_install(" kvm-nx-lpage-re-155 [000] ...2. 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 180 level 1 old_spte 8000000000000000 new_spte 104c58e67\n",
				       2345, 0x180, &pfn),
	      "another thread's install");
}

struct end_case {
	const char *what;
	struct soak_vmm_end e;
	unsigned int excluded;
	enum soak_verdict want;
	const char *why;	/* a part of the reason given */
};

#define KILLED	W_EXITCODE(0, SIGKILL)
#define EXIT(n)	W_EXITCODE(n, 0)
#define RIP	0xffffffff9c7fec8cull

static const struct end_case end_cases[] = {
	{ "exited 0", { .status = EXIT(0), .reaped = true },
	  0, SOAK_PASSED, "exited" },
	{ "killed as planned", { .status = KILLED, .reaped = true, .kill_sent = true },
	  0, SOAK_KILLED, "killed as planned" },
	{ "killed as planned, after an exclusion",
	  { .status = KILLED, .reaped = true, .kill_sent = true },
	  1, SOAK_KILLED, "killed as planned" },
	{ "a guest that read a wrong value (REPORT_GUEST_ASSERT: exit 254)",
	  { .status = EXIT(254), .reaped = true },
	  0, SOAK_FAILED, "exited with 254" },
	{ "a SIGKILL the supervisor did not send (e.g. the OOM killer)",
	  { .status = KILLED, .reaped = true },
	  0, SOAK_FAILED, "did not send" },
	{ "a SIGSEGV", { .status = W_EXITCODE(0, SIGSEGV), .reaped = true },
	  0, SOAK_FAILED, "signal 11" },
	{ "a shutdown without the signature (its report's assertion: exit 254)",
	  { .status = EXIT(254), .reaped = true, .unexpected_exit = true },
	  0, SOAK_FAILED, "without a signature" },
	{ "a shutdown without the signature, killed as planned during the report",
	  { .status = KILLED, .reaped = true, .kill_sent = true, .unexpected_exit = true },
	  0, SOAK_FAILED, "without a signature" },
	{ "a shutdown with the signature: the VMM killed itself",
	  { .status = KILLED, .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_EXCLUDED, "host kernel address 0xffffffff9c7fec8c" },
	{ "a shutdown with the signature, the second of the run",
	  { .status = KILLED, .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  1, SOAK_FAILED, "excluded once per run" },
	{ "a shutdown with the signature, but the VMM exited instead of dying",
	  { .status = EXIT(254), .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_FAILED, "without a signature" },
	/* The second signature: K1', SR1 and soak-compare run 8 (11.1.3). */
	{ "a shutdown on an impossible fetch fault: the VMM killed itself",
	  { .status = KILLED, .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_FETCH_PF, .sig_rip = 0x4029c6 },
	  0, SOAK_EXCLUDED, "#PF for a fetch at 0x4029c6" },
	{ "a shutdown on an impossible fetch fault, the second of the run",
	  { .status = KILLED, .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_FETCH_PF, .sig_rip = 0x4029c6 },
	  1, SOAK_FAILED, "excluded once per run" },
	{ "an impossible fetch fault, but the VMM exited instead of dying",
	  { .status = EXIT(254), .reaped = true, .unexpected_exit = true, .sig = SOAK_SIG_FETCH_PF, .sig_rip = 0x4029c6 },
	  0, SOAK_FAILED, "without a signature" },
	{ "a signature alone, neither an unexpected exit nor a hang: killed as planned",
	  { .status = KILLED, .reaped = true, .kill_sent = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_KILLED, "killed as planned" },
	{ "a signature alone, and a SIGKILL the supervisor did not send",
	  { .status = KILLED, .reaped = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_FAILED, "did not send" },
	{ "a hang with the signature, ended by SIGKILL",
	  { .status = KILLED, .reaped = true, .stuck = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_EXCLUDED, "still running 60 s" },
	{ "a hang with the signature, planned SIGKILL sent long before",
	  { .status = KILLED, .reaped = true, .stuck = true, .kill_sent = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_EXCLUDED, "still running 60 s" },
	{ "a hang with the signature, the second of the run",
	  { .status = KILLED, .reaped = true, .stuck = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  1, SOAK_FAILED, "already had it" },
	{ "a hang without the signature",
	  { .status = KILLED, .reaped = true, .stuck = true },
	  0, SOAK_FAILED, "without a signature" },
	{ "a hang that SIGKILL does not end, with the signature",
	  { .stuck = true, .sig = SOAK_SIG_HOST_RIP, .sig_rip = RIP },
	  0, SOAK_FAILED, "not even SIGKILL" },
	{ "a hang that SIGKILL does not end",
	  { .stuck = true },
	  0, SOAK_FAILED, "not even SIGKILL" },
	{ "a hang that ended by itself in the 60 s: passes",
	  { .status = EXIT(0), .reaped = true },
	  0, SOAK_PASSED, "exited" },
};

static const char * const verdicts[] = {
	[SOAK_PASSED] = "passed", [SOAK_KILLED] = "killed",
	[SOAK_EXCLUDED] = "excluded", [SOAK_FAILED] = "failed",
};

static void test_verdicts(void)
{
	unsigned int i;
	char why[320];

	for (i = 0; i < sizeof(end_cases) / sizeof(end_cases[0]); i++) {
		const struct end_case *c = &end_cases[i];
		enum soak_verdict v;

		why[0] = 0;
		v = soak_classify(&c->e, c->excluded, why, sizeof(why));
		CHECK(v == c->want, "%s: %s, want %s (%s)", c->what, verdicts[v],
		      verdicts[c->want], why);
		CHECK(strstr(why, c->why), "%s: reason \"%s\" lacks \"%s\"", c->what,
		      why, c->why);
	}
}

static void test_mark(void)
{
	char buf[64];

	soak_dump_mark(buf, sizeof(buf), "begin", 95, 1);
	CHECK(!strcmp(buf, "soak: diagnostic dump begin 95-1"), "marker: %s", buf);
}

int main(int argc, char *argv[])
{
	char buf[64];

	if (argc == 5 && !strcmp(argv[1], "mark")) {
		soak_dump_mark(buf, sizeof(buf), argv[2], atoi(argv[3]),
			       strtoul(argv[4], NULL, 0));
		printf("%s\n", buf);
		return 0;
	}
	test_trace_lines();
	test_fetch_pf_lines();
	test_verdicts();
	test_mark();
	printf("soak_classify_test: %d failure%s\n", failures, failures == 1 ? "" : "s");
	return !!failures;
}
