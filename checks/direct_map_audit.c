// SPDX-License-Identifier: GPL-2.0-only
/*
 * No page out of the direct map is mapped anywhere else in the kernel but
 * in the mm-local region of the process that owns it: reads the kernel's
 * audit (debugfs direct_map/audit, CONFIG_DIRECT_MAP_AUDIT), prints it and
 * requires its last line to be "aliases: 0", with leaves walked.
 *
 * Architectures: x86, arm64
 *
 * With a command after "--", runs it and reads the audit again and again
 * while it runs, so that the VMs it creates are audited with their
 * private memory mapped; fails if any read finds an alias or if the
 * command fails.  With -e, at least one read must also have found pages of
 * a VM in its own mm-local region ("exempt: N" > 0), i.e. the audit saw
 * the mappings that it allows.  With -t TABLE, the audit must have walked
 * leaves in that kind of page tables ("leaves_TABLE: N" > 0, e.g. -t efi
 * when booted by EFI firmware: it walked efi_mm's mappings of the EFI
 * runtime regions).
 *
 * usage: direct_map_audit [-e] [-t TABLE] [-i MS] [-- COMMAND ARGS...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AUDIT	"/sys/kernel/debug/direct_map/audit"

struct result {
	long leaves, aliases, exempt, duration_us;
	long table_leaves;	/* of -t TABLE; -1 if not in the audit */
};

/* -t: a kind of page tables the audit must have found leaves in. */
static const char *table;

/* Read the audit; print it if @verbose, or its alias lines anyway. */
static int audit(struct result *r, int verbose)
{
	char line[512];
	int last_aliases = 0;
	FILE *f = fopen(AUDIT, "r");

	memset(r, 0, sizeof(*r));
	r->leaves = r->aliases = r->exempt = r->table_leaves = -1;
	if (!f) {
		fprintf(stderr, "direct_map_audit: %s: %s\n", AUDIT, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		last_aliases = 0;
		if (verbose || !strncmp(line, "alias:", 6))
			fputs(line, stdout);
		if (sscanf(line, "leaves: %ld", &r->leaves) == 1)
			continue;
		if (table && !strncmp(line, "leaves_", 7) &&
		    !strncmp(line + 7, table, strlen(table)) &&
		    sscanf(line + 7 + strlen(table), ": %ld", &r->table_leaves) == 1)
			continue;
		if (sscanf(line, "exempt: %ld", &r->exempt) == 1)
			continue;
		if (sscanf(line, "duration_us: %ld", &r->duration_us) == 1)
			continue;
		if (sscanf(line, "aliases: %ld", &r->aliases) == 1)
			last_aliases = 1;
	}
	fclose(f);
	if (!last_aliases || r->leaves <= 0) {
		fprintf(stderr, "direct_map_audit: no final 'aliases:' line or no leaves\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int opt, need_exempt = 0, interval_ms = 100, status, bad = 0;
	long reads = 0, max_exempt = 0, max_us = 0;
	struct result r;
	pid_t pid;

	while ((opt = getopt(argc, argv, "et:i:")) != -1) {
		switch (opt) {
		case 'e':
			need_exempt = 1;
			break;
		case 't':
			table = optarg;
			break;
		case 'i':
			interval_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: direct_map_audit [-e] [-t TABLE] [-i MS] [-- COMMAND ARGS...]\n");
			return 2;
		}
	}

	if (optind == argc) {
		if (audit(&r, 1))
			return 1;
		if (r.aliases) {
			printf("direct_map_audit: FAIL: %ld aliases\n", r.aliases);
			return 1;
		}
		if (table && r.table_leaves <= 0) {
			printf("direct_map_audit: FAIL: no leaves walked in the %s page tables (%ld)\n",
			       table, r.table_leaves);
			return 1;
		}
		printf("direct_map_audit: ok: %ld leaves%s%s%s, no alias, %ld us\n",
		       r.leaves, table ? " (walked " : "", table ? table : "",
		       table ? " page tables too)" : "", r.duration_us);
		return 0;
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		execv(argv[optind], &argv[optind]);
		perror(argv[optind]);
		_exit(127);
	}
	for (;;) {
		struct timespec ts = { interval_ms / 1000,
				       (interval_ms % 1000) * 1000000L };
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (audit(&r, 0)) {
			bad = 1;
		} else {
			reads++;
			if (r.aliases) {
				printf("direct_map_audit: FAIL: %ld aliases during %s\n",
				       r.aliases, argv[optind]);
				bad = 1;
			}
			if (r.exempt > max_exempt)
				max_exempt = r.exempt;
			if (r.duration_us > max_us)
				max_us = r.duration_us;
		}
		if (done == pid)
			break;
		nanosleep(&ts, NULL);
	}
	printf("direct_map_audit: %ld reads during %s, at most %ld exempt pages, longest walk %ld us\n",
	       reads, argv[optind], max_exempt, max_us);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("direct_map_audit: FAIL: %s exited with status 0x%x\n",
		       argv[optind], status);
		return 1;
	}
	if (need_exempt && !max_exempt) {
		printf("direct_map_audit: FAIL: no read saw a VM's pages in its mm-local region\n");
		return 1;
	}
	return bad;
}
