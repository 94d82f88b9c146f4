/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The soak's verdict on each VMM that ended, the signature of the emulated
 * CPU's fault that it looks for in KVM's trace, and the marker lines around
 * its sysrq dumps.  Plain C without the KVM selftest library, so that the
 * workspace's tests check them without a kernel
 * (tests/workspace/soak_classify_test.c).
 *
 * The signature: a kvm_entry or kvm_exit event of one of a VMM's threads at
 * a RIP in the kernel's half.  The soak's guests run below 4G; under
 * QEMU/TCG the emulated CPU's #VMEXIT has been caught storing its host's
 * registers as the nested guest's, on stock 7.3.4 too, and KVM then runs
 * the guest at the host's RIP (notes/soak-corruption.md, third session).
 *
 * The rules (soak_classify()), in order:
 *
 *  1. not even SIGKILL ended the VMM: failed (its memory cannot be checked);
 *  2. the VMM reported an unexpected vCPU exit, or was still running 60 s
 *     after the soak's end, its guest was seen at a host kernel address,
 *     and SIGKILL ended it: excluded as the emulator's fault, if it is the
 *     first such VMM of the run; a second one fails;
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
	long tid;
	int i;

	if (line[0] == '#')
		return false;
	ev = strstr(line, ": kvm_entry: ");
	if (!ev)
		ev = strstr(line, ": kvm_exit: ");
	if (!ev)
		return false;
	tid = soak_trace_tid(line, ev);
	for (i = 0; i < nr && tids[i] != tid; i++)
		;
	if (tid < 0 || i == nr)
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

/* How a VMM ended, as the supervisor saw it. */
struct soak_vmm_end {
	int status;		/* from waitpid(), if reaped */
	bool reaped;		/* false: not even SIGKILL ended it */
	bool kill_sent;		/* the supervisor's planned SIGKILL was sent */
	bool stuck;		/* still running 60 s after the soak's end */
	bool unexpected_exit;	/* it reported an unexpected vCPU exit */
	unsigned long long host_rip;	/* the signature's RIP, 0: not seen */
};

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

	if (!e->reaped) {
		snprintf(why, size, "%s; not even SIGKILL ended it within 10 s, so its memory cannot be checked%s",
			 e->stuck ? "still running 60 s after the soak's end" : "running",
			 e->host_rip ? " (its guest ran at a host kernel address)" : "");
		return SOAK_FAILED;
	}
	if (e->host_rip && (e->stuck || e->unexpected_exit) &&
	    soak_sigkilled(e->status)) {
		if (excluded) {
			snprintf(why, size, "%s, its guest at host kernel address 0x%llx: the emulator's fault is excluded once per run, and %u VMM%s of this run already had it",
				 what, e->host_rip, excluded, excluded > 1 ? "s" : "");
			return SOAK_FAILED;
		}
		snprintf(why, size, "%s, its guest at host kernel address 0x%llx",
			 what, e->host_rip);
		return SOAK_EXCLUDED;
	}
	if (e->stuck || e->unexpected_exit) {
		snprintf(why, size, "%s, and its guest was not seen at a host kernel address (status 0x%x)",
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
