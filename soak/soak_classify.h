/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The soak's verdict on each VMM that ended, the signature of the emulated
 * CPU's fault that it looks for in KVM's trace, and the marker lines around
 * its sysrq dumps.  Plain C without the KVM selftest library, so that the
 * workspace's tests check them without a kernel
 * (tests/workspace/soak_classify_test.c).
 *
 * Two signatures of the emulated CPU's fault, each seen under QEMU/TCG on
 * stock 7.3.4 too (notes/soak-corruption.md):
 *
 *  - the host's RIP: a kvm_entry or kvm_exit event of one of a VMM's
 *    threads at a RIP in the kernel's half.  The soak's guests run below
 *    4G; the emulated CPU's #VMEXIT has been caught storing its host's
 *    registers as the nested guest's, and KVM then runs the guest at the
 *    host's RIP;
 *  - an impossible fetch fault: the guest shut down (triple fault) while
 *    the CPU delivered a #PF for an instruction fetch from a not-present
 *    page (kvm_exit "reason shutdown" with intr_info 0x80000b0e, error
 *    code P=0, RSVD=0, I/D=1), yet the guest's page tables, which its code
 *    never writes, map that RIP present (the VMM reads them), and the last
 *    time KVM mapped each frame of that walk for the vCPU it mapped the
 *    frame behind the VMM's own mapping of it.  A CPU that walks those
 *    tables cannot raise that #PF: a frame KVM had not mapped would have
 *    been a nested page fault, not a #PF.  The VMM checks the tables and
 *    the frames (gmem_ndm_soak.c); soak_exit_is_fetch_pf() and
 *    soak_trace_spte_install() read the trace.
 *
 * The rules (soak_classify()), in order:
 *
 *  1. not even SIGKILL ended the VMM: failed (its memory cannot be checked);
 *  2. the VMM reported an unexpected vCPU exit, or was still running 60 s
 *     after the soak's end, it showed one of the signatures, and SIGKILL
 *     ended it: excluded as the emulator's fault, if it is the first such
 *     VMM of the run; a second one fails;
 *  3. still running 60 s after the soak's end, no signature: failed;
 *  4. an unexpected vCPU exit (e.g. a shutdown), no signature: failed;
 *  5. ended by the supervisor's planned SIGKILL: killed, passes;
 *  6. exited 0: passes;
 *  7. anything else (a guest that read a wrong value, a failed assertion in
 *     the VMM, another signal): failed.
 */
#ifndef SOAK_CLASSIFY_H
#define SOAK_CLASSIFY_H

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

/*
 * The start of the kernel's half with 4-level paging, which the soak's VM
 * runs with; the kernel image is above it with 5-level paging too.
 */
#define SOAK_HOST_RIP_MIN	0xffff800000000000ull

/*
 * The soak writes "soak: diagnostic dump begin ID" to /dev/kmsg before the
 * sysrq dumps it asks for and "soak: diagnostic dump end ID" after them,
 * ID being "PID-N" (the soak's pid, the dump's number); see
 * scripts/parse-results.py for what is exempt between the two.
 */
#define SOAK_DUMP_MARK		"soak: diagnostic dump"

static inline int soak_dump_mark(char *buf, size_t size, const char *what,
				 int pid, unsigned int n)
{
	return snprintf(buf, size, SOAK_DUMP_MARK " %s %d-%u", what, pid, n);
}

/*
 * Going backwards from @p, past the last @open before it and the blanks
 * before that: where the field before it ends.  NULL if there is no @open.
 */
static inline const char *soak_back_past(const char *line, const char *p,
					 char open)
{
	while (p > line && p[-1] != open)
		p--;
	if (p == line)
		return NULL;
	p--;
	while (p > line && p[-1] == ' ')
		p--;
	return p;
}

/*
 * The thread of a line of tracefs' "trace" whose header ends before @end:
 * "COMM-TID [CPU] FLAGS TIMESTAMP: ", or "COMM-TID (TGID) [CPU] ..." with
 * the record-tgid option.  COMM may hold anything, so the header is read
 * backwards from the last '[' before @end.  -1 if there is none.
 */
static inline long soak_trace_tid(const char *line, const char *end)
{
	const char *p = soak_back_past(line, end, '['), *digits;

	if (p && p > line && p[-1] == ')')
		p = soak_back_past(line, p, '(');
	if (!p)
		return -1;
	digits = p;
	while (p > line && isdigit((unsigned char)p[-1]))
		p--;
	if (p == digits || p == line || p[-1] != '-')
		return -1;
	return strtol(p, NULL, 10);
}

/*
 * If @line of tracefs' "trace" is an event @event (": kvm_exit: ") of one
 * of the @nr threads @tids: where its fields start.  Else NULL.
 */
static inline const char *soak_trace_event(const char *line, const char *event,
					   const pid_t *tids, int nr)
{
	const char *ev;
	long tid;
	int i;

	if (line[0] == '#')
		return NULL;
	ev = strstr(line, event);
	if (!ev)
		return NULL;
	tid = soak_trace_tid(line, ev);
	for (i = 0; i < nr && tids[i] != tid; i++)
		;
	if (tid < 0 || i == nr)
		return NULL;
	return ev + strlen(event);
}

/*
 * Whether @line of tracefs' "trace" is a kvm_entry or kvm_exit event of
 * one of the @nr threads @tids at a host kernel address; if so, the RIP
 * is stored in @rip.
 */
static inline bool soak_trace_host_rip(const char *line, const pid_t *tids,
				       int nr, unsigned long long *rip)
{
	const char *ev, *r;
	unsigned long long v;
	char *endp;

	ev = soak_trace_event(line, ": kvm_entry: ", tids, nr);
	if (!ev)
		ev = soak_trace_event(line, ": kvm_exit: ", tids, nr);
	if (!ev)
		return false;
	r = strstr(ev, " rip 0x");
	if (!r)
		return false;
	v = strtoull(r + 7, &endp, 16);
	if (endp == r + 7 || v < SOAK_HOST_RIP_MIN)
		return false;
	*rip = v;
	return true;
}

/* A kvm_exit event: "vcpu 0 reason npf rip 0x4029c6 ... intr_info 0x80000b0e error_code 0x00000010 ...". */
struct soak_trace_exit {
	char reason[32];	/* e.g. "shutdown", "UD excp" */
	unsigned long long rip, intr_info, error_code;
};

/* Whether @line is a kvm_exit event of thread @tid; if so, it is read into @ex. */
static inline bool soak_trace_exit(const char *line, pid_t tid,
				   struct soak_trace_exit *ex)
{
	const char *ev = soak_trace_event(line, ": kvm_exit: ", &tid, 1);
	const char *reason, *rip, *ii, *ec;
	size_t len;

	if (!ev)
		return false;
	reason = strstr(ev, " reason ");
	rip = strstr(ev, " rip 0x");
	ii = strstr(ev, " intr_info 0x");
	ec = strstr(ev, " error_code 0x");
	if (!reason || !rip || !ii || !ec || rip < reason)
		return false;
	reason += strlen(" reason ");
	len = rip - reason;
	if (!len || len >= sizeof(ex->reason))
		return false;
	memcpy(ex->reason, reason, len);
	ex->reason[len] = 0;
	ex->rip = strtoull(rip + strlen(" rip 0x"), NULL, 16);
	ex->intr_info = strtoull(ii + strlen(" intr_info 0x"), NULL, 16);
	ex->error_code = strtoull(ec + strlen(" error_code 0x"), NULL, 16);
	return true;
}

/* A valid, hardware exception with an error code: vector 14, #PF. */
#define SOAK_INTR_INFO_PF	0x80000b0eull
#define SOAK_PFERR_PRESENT	0x1ull
#define SOAK_PFERR_RSVD		0x8ull
#define SOAK_PFERR_FETCH	0x10ull

/*
 * Whether exit @ex is a shutdown that came while the CPU delivered a #PF
 * for an instruction fetch from a not-present page: the first half of the
 * impossible fetch fault (the top comment).
 */
static inline bool soak_exit_is_fetch_pf(const struct soak_trace_exit *ex)
{
	return !strcmp(ex->reason, "shutdown") &&
	       ex->intr_info == SOAK_INTR_INFO_PF &&
	       (ex->error_code & (SOAK_PFERR_PRESENT | SOAK_PFERR_RSVD |
				  SOAK_PFERR_FETCH)) == SOAK_PFERR_FETCH;
}

/* KVM's SPTE bits (arch/x86/kvm/mmu/spte.h): present, a large leaf, the frame. */
#define SOAK_SPTE_MMU_PRESENT	(1ull << 11)
#define SOAK_SPTE_LARGE		(1ull << 7)
#define SOAK_SPTE_PFN(spte)	(((spte) >> 12) & ((1ull << 40) - 1))

/*
 * Whether @line is a kvm_tdp_mmu_spte_changed event of thread @tid that
 * installed a present leaf: "as id 0 gfn 180 level 1 old_spte ... new_spte
 * 104c58e67".  If so, the frame that maps guest frame @gfn is stored in
 * @pfn, or -1 if the leaf does not cover @gfn.
 */
static inline bool soak_trace_spte_install(const char *line, pid_t tid,
					   unsigned long long gfn,
					   unsigned long long *pfn)
{
	const char *ev = soak_trace_event(line, ": kvm_tdp_mmu_spte_changed: ",
					  &tid, 1);
	unsigned long long base, old, spte, span;
	int as, level;

	if (!ev || sscanf(ev, "as id %d gfn %llx level %d old_spte %llx new_spte %llx",
			  &as, &base, &level, &old, &spte) != 5)
		return false;
	if (as || level < 1 || level > 3 || !(spte & SOAK_SPTE_MMU_PRESENT) ||
	    (level > 1 && !(spte & SOAK_SPTE_LARGE)))
		return false;
	span = 1ull << (9 * (level - 1));
	*pfn = gfn >= base && gfn - base < span ? SOAK_SPTE_PFN(spte) + (gfn - base) : -1ull;
	return true;
}

/* How a VMM ended, as the supervisor saw it. */
struct soak_vmm_end {
	int status;		/* from waitpid(), if reaped */
	bool reaped;		/* false: not even SIGKILL ended it */
	bool kill_sent;		/* the supervisor's planned SIGKILL was sent */
	bool stuck;		/* still running 60 s after the soak's end */
	bool unexpected_exit;	/* it reported an unexpected vCPU exit */
	enum soak_signature {
		SOAK_SIG_NONE,
		SOAK_SIG_HOST_RIP,	/* its guest at a host kernel address */
		SOAK_SIG_FETCH_PF,	/* an impossible fetch fault */
	} sig;
	unsigned long long sig_rip;	/* the guest's RIP in the signature */
};

/* The signature of @e, for a reason; "" if none. */
static inline void soak_signature_str(const struct soak_vmm_end *e, char *buf,
				      size_t size)
{
	switch (e->sig) {
	case SOAK_SIG_HOST_RIP:
		snprintf(buf, size, "its guest at host kernel address 0x%llx",
			 e->sig_rip);
		break;
	case SOAK_SIG_FETCH_PF:
		snprintf(buf, size, "its guest shut down on a #PF for a fetch at 0x%llx, which its page tables and KVM's map",
			 e->sig_rip);
		break;
	default:
		buf[0] = 0;
	}
}

enum soak_verdict {
	SOAK_PASSED,		/* exited 0 */
	SOAK_KILLED,		/* the supervisor's planned SIGKILL */
	SOAK_EXCLUDED,		/* the emulator's fault, the first of the run */
	SOAK_FAILED,
};

static inline bool soak_sigkilled(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/*
 * The verdict on a VMM that ended as @e says, @excluded VMMs of the run
 * having been excluded before it; @why (of @size bytes) says why.
 */
static inline enum soak_verdict soak_classify(const struct soak_vmm_end *e,
					      unsigned int excluded,
					      char *why, size_t size)
{
	const char *what = e->stuck ? "still running 60 s after the soak's end" :
			   "an unexpected vCPU exit";
	char sig[160];

	soak_signature_str(e, sig, sizeof(sig));
	if (!e->reaped) {
		snprintf(why, size, "%s; not even SIGKILL ended it within 10 s, so its memory cannot be checked%s%s%s",
			 e->stuck ? "still running 60 s after the soak's end" : "running",
			 *sig ? " (" : "", sig, *sig ? ")" : "");
		return SOAK_FAILED;
	}
	if (e->sig && (e->stuck || e->unexpected_exit) &&
	    soak_sigkilled(e->status)) {
		if (excluded) {
			snprintf(why, size, "%s, %s: the emulator's fault is excluded once per run, and %u VMM%s of this run already had it",
				 what, sig, excluded, excluded > 1 ? "s" : "");
			return SOAK_FAILED;
		}
		snprintf(why, size, "%s, %s", what, sig);
		return SOAK_EXCLUDED;
	}
	if (e->stuck || e->unexpected_exit) {
		snprintf(why, size, "%s, without a signature of the emulated CPU's fault (status 0x%x)",
			 what, e->status);
		return SOAK_FAILED;
	}
	if (e->kill_sent && soak_sigkilled(e->status)) {
		snprintf(why, size, "killed as planned");
		return SOAK_KILLED;
	}
	if (WIFEXITED(e->status) && !WEXITSTATUS(e->status)) {
		snprintf(why, size, "exited");
		return SOAK_PASSED;
	}
	if (WIFEXITED(e->status))
		snprintf(why, size, "exited with %d: a failed check, e.g. its guest read a wrong value (its report is above)",
			 WEXITSTATUS(e->status));
	else if (WIFSIGNALED(e->status))
		snprintf(why, size, "killed by signal %d%s", WTERMSIG(e->status),
			 soak_sigkilled(e->status) ? " that the supervisor did not send" : "");
	else
		snprintf(why, size, "status 0x%x", e->status);
	return SOAK_FAILED;
}

#endif /* SOAK_CLASSIFY_H */
