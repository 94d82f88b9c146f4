// SPDX-License-Identifier: GPL-2.0-only
/*
 * boot_guest: a minimal VMM that boots a Linux bzImage the way a
 * Firecracker-style VMM does, with the guest's RAM in a guest_memfd
 * (optionally GUEST_MEMFD_FLAG_NO_DIRECT_MAP), and checks what the guest
 * reports.
 *
 * The guest is a KVM_X86_DEFAULT_VM with one vCPU, the CPUID that
 * KVM_GET_SUPPORTED_CPUID reports (so kvm-clock, steal time, PV EOI and
 * async page faults are offered), the in-kernel irqchip and PIT, a 16550A
 * UART at 0x3f8 (IRQ 4) as its console, and the 64-bit boot protocol: the
 * kernel is entered in long mode with boot_params (e820 map, command line,
 * initramfs).  The guest's init (vmm/guest-init) prints "@@ " markers; this
 * program timestamps them on the host and asserts:
 *
 *  - the guest reached its init and shut down (triple-fault reboot);
 *  - its clocksource is kvm-clock, and kvm-clock, steal time and PV EOI are
 *    enabled in its MSRs, with a pvclock page that KVM filled in;
 *  - a 2 s sleep in the guest takes 2 s +- 10% on the host (--sleep-tolerance);
 *  - its console shows no unchecked MSR access, divide error, WARNING, BUG
 *    or Oops;
 *  - with --expect-direct-map=no (yes): no (every) populated, non-zero page
 *    of its RAM is readable through the host's direct map (/proc/kcore),
 *    checked while the guest runs.
 *
 * usage: boot_guest --memory anon|guest_memfd|guest_memfd_no_direct_map
 *        [--kernel FILE] [--initrd FILE] [--mem MiB] [--cmdline ARGS]
 *        [--expect-direct-map yes|no] [--timeout SECONDS] [--quiet] [--stats]
 *
 * --stats prints KVM's statistics of the VM and its vCPU (KVM_GET_STATS_FD,
 * non-zero values) when the guest has shut down.
 *
 * Exit status: 0 if every check passed, 1 otherwise, 4 if the host cannot
 * run the test (no /dev/kvm, flag not offered).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <asm/bootparam.h>
#include <asm/kvm_para.h>
#include <linux/kvm.h>

#define PAGE_SIZE	4096ul
#define KSFT_SKIP	4

/* Guest physical layout. */
#define GDT_ADDR	0x500ul
#define BOOT_PARAMS	0x7000ul
#define PML4_ADDR	0x9000ul
#define PDPT_ADDR	0xa000ul
#define PD_ADDR		0xb000ul	/* four page directories: 4 GiB */
#define CMDLINE_ADDR	0x20000ul
#define LOW_RAM_END	0xa0000ul
#define HIGH_RAM_START	0x100000ul
#define KERNEL_ADDR	0x1000000ul	/* when the kernel has no preference */

#define COM1_BASE	0x3f8
#define COM1_IRQ	4

#define E820_TYPE_RAM	1

enum backing { BACKING_ANON, BACKING_GMEM, BACKING_GMEM_NDM };

static const char *const backing_names[] = {
	[BACKING_ANON] = "anon",
	[BACKING_GMEM] = "guest_memfd",
	[BACKING_GMEM_NDM] = "guest_memfd_no_direct_map",
};

static struct {
	enum backing backing;
	const char *kernel, *initrd, *append;
	unsigned long mem_mib;
	int expect_direct_map;		/* -1: do not check */
	unsigned int timeout;
	unsigned int sleep_tolerance;	/* percent */
	bool quiet, stats;
} opt = {
	.backing = BACKING_GMEM_NDM,
	.kernel = "/kvm/vmm/data/bzImage",
	.initrd = "/kvm/vmm/data/guest-initrd.cpio.gz",
	/*
	 * No ACPI, no PCI (nothing to find), reboot by triple fault, no KUnit
	 * in the guest; warnings (KERN_WARNING) reach the console.
	 */
	.append = "console=ttyS0 nokaslr reboot=t panic=-1 acpi=off pci=off "
		  "kunit.enable=0 loglevel=5",
	.mem_mib = 256,
	.expect_direct_map = -1,
	.timeout = 240,
	.sleep_tolerance = 10,
};

static int kvm_fd, vm_fd, vcpu_fd, gmem_fd = -1;
static struct kvm_run *run;
static uint8_t *ram;
static size_t ram_size;
static volatile sig_atomic_t timed_out;
static int failures;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double t_start;

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "boot_guest: error: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	exit(1);
}

static __attribute__((noreturn, format(printf, 1, 2))) void skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "boot_guest: skip: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	exit(KSFT_SKIP);
}

static __attribute__((format(printf, 2, 3))) void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "%s: ", ok ? "PASS" : "FAIL");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	if (!ok)
		failures++;
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s: %s", what, strerror(errno));
	return r;
}

static void *gpa(uint64_t addr, size_t len)
{
	if (addr + len > ram_size || addr + len < addr)
		die("guest range 0x%lx+0x%zx is outside RAM", (unsigned long)addr, len);
	return ram + addr;
}

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	buf = malloc(st.st_size);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		die("reading %s failed", path);
	close(fd);
	*size = st.st_size;
	return buf;
}

/* Guest RAM: anonymous memory, or a guest_memfd mmap()ed by the VMM. */
static void setup_memory(void)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_size,
	};
	uint64_t want = 0;
	int supported;

	if (opt.backing == BACKING_ANON) {
		ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ram == MAP_FAILED)
			die("mmap: %s", strerror(errno));
	} else {
		struct kvm_create_guest_memfd gmem = { .size = ram_size };

		want = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
		if (opt.backing == BACKING_GMEM_NDM)
			want |= GUEST_MEMFD_FLAG_NO_DIRECT_MAP;

		supported = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
		if (supported < 0 || (supported & want) != want)
			skip("KVM_CAP_GUEST_MEMFD_FLAGS is 0x%x, need 0x%lx",
			     supported, (unsigned long)want);

		gmem.flags = want;
		gmem_fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &gmem);
		if (gmem_fd < 0)
			die("KVM_CREATE_GUEST_MEMFD(flags 0x%lx): %s",
			    (unsigned long)want, strerror(errno));
		ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   gmem_fd, 0);
		if (ram == MAP_FAILED)
			die("mmap(guest_memfd): %s", strerror(errno));

		region.flags = KVM_MEM_GUEST_MEMFD;
		region.guest_memfd = gmem_fd;
		region.guest_memfd_offset = 0;
	}
	region.userspace_addr = (uintptr_t)ram;
	xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &region,
	       "KVM_SET_USER_MEMORY_REGION2");
	printf("boot_guest: %lu MiB of guest RAM, %s (guest_memfd flags 0x%lx)\n",
	       opt.mem_mib, backing_names[opt.backing], (unsigned long)want);
}

static void setup_cpuid(void)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		cpuid->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		nent *= 2;
	}
	for (unsigned int i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* This is vCPU 0: initial APIC ID 0. */
			e->ebx &= 0x00ffffff;
			/* No XSAVE (hence no AVX), see below. */
			e->ecx &= ~((1u << 26) | (1u << 27) | (1u << 28) |
				    (1u << 12) | (1u << 29));
			break;
		case 0xb:
		case 0x1f:
			e->edx = 0;
			break;
		case 7:
			/* AVX2, AVX-512 and PKU need XSAVE state. */
			if (e->index == 0) {
				e->ebx &= ~((1u << 5) | 0xdc230000u);
				e->ecx &= ~((1u << 1) | (1u << 3) | (1u << 4) |
					    (1u << 6) | (1u << 9) | (1u << 10) |
					    (1u << 11) | (1u << 12) | (1u << 14));
				e->edx &= ~((1u << 2) | (1u << 3) | (1u << 8) |
					    (1u << 23));
			} else if (e->index == 1) {
				e->eax &= ~((1u << 4) | (1u << 5) | (1u << 23));
				e->edx &= ~((1u << 4) | (1u << 5) | (1u << 10));
			}
			break;
		case 0xd:
			/*
			 * No XSAVE: under QEMU's TCG, L1's KVM does not see a
			 * nested guest's XSETBV (CPUID.0xD.0:EBX then stays at
			 * the size for x87 | SSE while the guest enables more)
			 * and XRSTOR of a signal frame fails in the guest.
			 * The guest uses FXSAVE, as on CPUs without XSAVE.
			 */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0x8000001e:
			e->eax = 0;
			break;
		case KVM_CPUID_FEATURES:
			printf("boot_guest: KVM PV features offered: 0x%x\n", e->eax);
			break;
		}
	}
	xioctl(vcpu_fd, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
	free(cpuid);
}

/* The 64-bit boot protocol (Documentation/arch/x86/boot.rst). */
static void load_kernel(void)
{
	struct boot_params *bp = gpa(BOOT_PARAMS, sizeof(*bp));
	size_t ksize, isize, setup_size, hdr_len, cmdline_len;
	uint64_t kaddr, iaddr, imax;
	struct setup_header hdr;
	uint8_t *kernel, *initrd;
	unsigned int setup_sects;
	uint64_t *pml4, *pdpt, *pd;
	uint64_t *gdt;

	kernel = read_file(opt.kernel, &ksize);
	if (ksize < 0x300 || memcmp(kernel + 0x202, "HdrS", 4))
		die("%s is not a bzImage", opt.kernel);
	memcpy(&hdr, kernel + 0x1f1, sizeof(hdr));
	if (hdr.version < 0x20c || !(hdr.xloadflags & XLF_KERNEL_64))
		die("%s has no 64-bit entry point (boot protocol 0x%x)",
		    opt.kernel, hdr.version);

	setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
	setup_size = (setup_sects + 1) * 512;
	kaddr = hdr.pref_address ? hdr.pref_address : KERNEL_ADDR;
	if (kaddr + hdr.init_size > ram_size)
		die("the kernel needs %u bytes at 0x%lx, more than the RAM",
		    hdr.init_size, (unsigned long)kaddr);
	memcpy(gpa(kaddr, ksize - setup_size), kernel + setup_size,
	       ksize - setup_size);

	initrd = read_file(opt.initrd, &isize);
	imax = (uint64_t)hdr.initrd_addr_max + 1;
	iaddr = ((imax < ram_size ? imax : ram_size) - isize) & ~(PAGE_SIZE - 1);
	if (iaddr < kaddr + hdr.init_size)
		die("no room for the initramfs");
	memcpy(gpa(iaddr, isize), initrd, isize);

	cmdline_len = strlen(opt.append);
	if (cmdline_len >= hdr.cmdline_size)
		die("command line too long");
	memcpy(gpa(CMDLINE_ADDR, cmdline_len + 1), opt.append, cmdline_len + 1);

	memset(bp, 0, sizeof(*bp));
	/* The setup header ends where its jump instruction says. */
	hdr_len = 0x202 + kernel[0x201] - 0x1f1;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, kernel + 0x1f1, hdr_len);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp->hdr.ramdisk_image = iaddr;
	bp->hdr.ramdisk_size = isize;
	bp->hdr.code32_start = kaddr;
	bp->e820_table[0] = (struct boot_e820_entry){ 0, LOW_RAM_END, E820_TYPE_RAM };
	bp->e820_table[1] = (struct boot_e820_entry){
		HIGH_RAM_START, ram_size - HIGH_RAM_START, E820_TYPE_RAM };
	bp->e820_entries = 2;

	/* Identity map of the first 4 GiB with 2 MiB pages. */
	pml4 = gpa(PML4_ADDR, PAGE_SIZE);
	pdpt = gpa(PDPT_ADDR, PAGE_SIZE);
	pd = gpa(PD_ADDR, 4 * PAGE_SIZE);
	pml4[0] = PDPT_ADDR | 3;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * PAGE_SIZE) | 3;
	for (int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;

	/* __BOOT_CS = 0x10, __BOOT_DS = 0x18. */
	gdt = gpa(GDT_ADDR, 4 * 8);
	gdt[0] = gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull;
	gdt[3] = 0x00cf93000000ffffull;

	printf("boot_guest: kernel %s (boot protocol %x.%02x) at 0x%lx, initramfs %zu KiB at 0x%lx\n",
	       opt.kernel, hdr.version >> 8, hdr.version & 0xff,
	       (unsigned long)kaddr, isize >> 10, (unsigned long)iaddr);
	printf("boot_guest: command line: %s\n", opt.append);
	free(kernel);
	free(initrd);

	{
		struct kvm_segment cs = {
			.base = 0, .limit = 0xffffffff, .selector = 0x10,
			.type = 11, .present = 1, .s = 1, .l = 1, .g = 1,
		};
		struct kvm_segment ds = {
			.base = 0, .limit = 0xffffffff, .selector = 0x18,
			.type = 3, .present = 1, .s = 1, .db = 1, .g = 1,
		};
		struct kvm_sregs sregs;
		struct kvm_regs regs = {
			.rip = kaddr + 0x200,
			.rsi = BOOT_PARAMS,
			.rflags = 2,
		};

		xioctl(vcpu_fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
		sregs.cs = cs;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
		sregs.gdt.base = GDT_ADDR;
		sregs.gdt.limit = 4 * 8 - 1;
		sregs.cr3 = PML4_ADDR;
		sregs.cr4 = 1u << 5;				/* PAE */
		sregs.cr0 = 0x80000001u | (1u << 4) | (1u << 5);	/* PG PE ET NE */
		sregs.efer = (1u << 8) | (1u << 10);		/* LME LMA */
		xioctl(vcpu_fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
		xioctl(vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
	}
}

/*
 * What the guest prints, line by line; "@@ " markers are timestamped on the
 * host.
 */
static struct {
	double kernel, init, ready, sleep_begin, sleep_end, done;
	char clocksource[64];
	bool bad;
	char bad_line[256];
	unsigned long lines;
} guest;

static const char *const bad_words[] = {
	"unchecked MSR access", "divide error", "WARNING:", "BUG:", "Oops",
	"Kernel panic", "Call Trace",
};

static void check_direct_map(void);
static void check_pv_features(void);

/* What check_direct_map() found. */
static struct {
	bool checked;
	unsigned long nonzero, in_dmap;
} dmap;

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = 0;
}

/*
 * CPU time of this process so far, from /proc/self/stat: in user mode, in
 * the host kernel, and running the guest (which the kernel also counts as
 * user time, so it is taken out of it here).
 */
static void print_cpu_time(const char *when)
{
	unsigned long utime, stime, gtime;
	long hz = sysconf(_SC_CLK_TCK);
	char buf[1024], *p;
	FILE *f;
	int i;

	f = fopen("/proc/self/stat", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die("/proc/self/stat: %s", strerror(errno));
	fclose(f);
	/* Fields after the command name, which may hold spaces: state is 3. */
	p = strrchr(buf, ')');
	if (!p)
		die("/proc/self/stat: unexpected format");
	p += 2;
	utime = stime = gtime = 0;
	for (i = 3; *p && i <= 43; i++) {
		unsigned long v = strtoul(p, NULL, 10);

		if (i == 14)
			utime = v;
		else if (i == 15)
			stime = v;
		else if (i == 43)
			gtime = v;
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	printf("boot_guest: cpu time %s: guest %.2f s, host kernel %.2f s, vmm user %.2f s\n",
	       when, (double)gtime / hz, (double)stime / hz,
	       (double)(utime > gtime ? utime - gtime : 0) / hz);
}

static void guest_line(const char *line)
{
	double t = now();

	guest.lines++;
	if (!opt.quiet || !strncmp(line, "@@ ", 3))
		printf("guest %7.3f| %s\n", t - t_start, line);

	for (size_t i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++) {
		if (strstr(line, bad_words[i]) && !guest.bad) {
			guest.bad = true;
			copy_str(guest.bad_line, sizeof(guest.bad_line), line);
		}
	}

	if (opt.stats && !guest.kernel && strstr(line, "Linux version")) {
		guest.kernel = t;
		print_cpu_time("when the guest kernel started");
	} else if (!strcmp(line, "@@ INIT")) {
		guest.init = t;
		if (opt.stats)
			print_cpu_time("at init");
	} else if (!strncmp(line, "@@ CLOCKSOURCE ", 15)) {
		copy_str(guest.clocksource, sizeof(guest.clocksource), line + 15);
	} else if (!strcmp(line, "@@ READY")) {
		guest.ready = t;
		/*
		 * The vCPU is stopped in this exit: the memory is stable.  The
		 * guest turns its PV features off when it reboots: check them
		 * now.
		 */
		check_pv_features();
		if (opt.expect_direct_map >= 0)
			check_direct_map();
	} else if (!strcmp(line, "@@ SLEEP BEGIN")) {
		guest.sleep_begin = t;
	} else if (!strcmp(line, "@@ SLEEP END")) {
		guest.sleep_end = t;
	} else if (!strcmp(line, "@@ DONE")) {
		guest.done = t;
	}
}

/* A 16550A UART without FIFO emulation: transmit only, THRE interrupts. */
static struct {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;
	int irq_level;
	char line[1024];
	size_t len;
} uart;

static void uart_update_irq(void)
{
	struct kvm_irq_level irq = { .irq = COM1_IRQ };
	int level = (uart.ier & 0x02) && uart.thre_pending &&
		    (uart.mcr & 0x08);		/* OUT2 gates the IRQ on PCs */

	if (level == uart.irq_level)
		return;
	uart.irq_level = level;
	irq.level = level;
	xioctl(vm_fd, KVM_IRQ_LINE, &irq, "KVM_IRQ_LINE");
}

static void uart_putc(char c)
{
	if (uart.mcr & 0x10)		/* loopback: nothing goes out */
		return;
	if (c == '\n' || uart.len == sizeof(uart.line) - 1) {
		uart.line[uart.len] = 0;
		guest_line(uart.line);
		uart.len = 0;
		if (c == '\n')
			return;
	}
	if (c != '\r')
		uart.line[uart.len++] = c;
}

static uint8_t uart_in(unsigned int off)
{
	bool dlab = uart.lcr & 0x80;
	uint8_t v = 0;

	switch (off) {
	case 0:
		v = dlab ? uart.dll : 0;	/* nothing is ever received */
		break;
	case 1:
		v = dlab ? uart.dlm : uart.ier;
		break;
	case 2:
		v = (uart.fcr & 1) ? 0xc0 : 0;
		if ((uart.ier & 0x02) && uart.thre_pending) {
			v |= 0x02;
			uart.thre_pending = false;	/* reading IIR clears it */
		} else {
			v |= 0x01;
		}
		break;
	case 3:
		v = uart.lcr;
		break;
	case 4:
		v = uart.mcr;
		break;
	case 5:
		v = 0x60;			/* THRE | TEMT: sent at once */
		break;
	case 6:
		if (uart.mcr & 0x10)		/* loopback: MCR -> MSR */
			v = ((uart.mcr & 0x01) << 5) | ((uart.mcr & 0x02) << 3) |
			    ((uart.mcr & 0x0c) << 4);
		else
			v = 0xb0;		/* DCD | DSR | CTS */
		break;
	case 7:
		v = uart.scr;
		break;
	}
	uart_update_irq();
	return v;
}

static void uart_out(unsigned int off, uint8_t v)
{
	bool dlab = uart.lcr & 0x80;

	switch (off) {
	case 0:
		if (dlab) {
			uart.dll = v;
		} else {
			uart_putc(v);
			uart.thre_pending = true;
		}
		break;
	case 1:
		if (dlab) {
			uart.dlm = v;
		} else {
			/* Enabling THRI with THR empty raises it at once. */
			if ((v & 0x02) && !(uart.ier & 0x02))
				uart.thre_pending = true;
			uart.ier = v & 0x0f;
		}
		break;
	case 2:
		uart.fcr = v;
		break;
	case 3:
		uart.lcr = v;
		break;
	case 4:
		uart.mcr = v & 0x1f;
		break;
	case 7:
		uart.scr = v;
		break;
	}
	uart_update_irq();
}

static void handle_io(void)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int port = run->io.port;

	for (unsigned int i = 0; i < run->io.count; i++, data += run->io.size) {
		if (port >= COM1_BASE && port < COM1_BASE + 8 && run->io.size == 1) {
			if (run->io.direction == KVM_EXIT_IO_OUT)
				uart_out(port - COM1_BASE, *data);
			else
				*data = uart_in(port - COM1_BASE);
		} else if (run->io.direction == KVM_EXIT_IO_IN) {
			/* No device: the bus floats. */
			memset(data, 0xff, run->io.size);
		}
	}
}

/*
 * /proc/kcore: the RAM segments, i.e. where each physical range is in the
 * direct map.  A read of a page that is not in the direct map returns zeros.
 */
struct kcore_seg {
	uint64_t paddr, size, offset;
};

static int kcore_segments(int fd, struct kcore_seg *segs, int max)
{
	Elf64_Ehdr eh;
	int n = 0;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG))
		die("/proc/kcore: no ELF header");
	for (int i = 0; i < eh.e_phnum && n < max; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			die("/proc/kcore: short program header");
		/* RAM segments have a physical address; text/vmalloc do not. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (uint64_t)-1 ||
		    ph.p_vaddr < 0xff00000000000000ull || !ph.p_memsz)
			continue;
		segs[n++] = (struct kcore_seg){ ph.p_paddr, ph.p_memsz, ph.p_offset };
	}
	return n;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Every page of guest RAM that is populated (mincore()) and holds data:
 * read it through the VMM's mapping, find its PFN (pagemap), and read the
 * same physical page through the direct map (/proc/kcore).
 */
static void check_direct_map(void)
{
	unsigned long npages = ram_size / PAGE_SIZE, populated = 0, nonzero = 0;
	unsigned long in_dmap = 0, absent = 0, no_pfn = 0;
	struct kcore_seg segs[64];
	int kfd, pfd, nsegs;
	uint8_t page[PAGE_SIZE], kpage[PAGE_SIZE];
	unsigned char *vec;

	kfd = open("/proc/kcore", O_RDONLY);
	pfd = open("/proc/self/pagemap", O_RDONLY);
	if (kfd < 0 || pfd < 0)
		die("/proc/kcore or /proc/self/pagemap: %s", strerror(errno));
	nsegs = kcore_segments(kfd, segs, 64);
	if (!nsegs)
		die("/proc/kcore has no RAM segments");

	vec = malloc(npages);
	if (mincore(ram, ram_size, vec))
		die("mincore: %s", strerror(errno));

	for (unsigned long i = 0; i < npages; i++) {
		uint64_t entry, pfn, phys;
		int s;

		if (!(vec[i] & 1))
			continue;
		populated++;
		memcpy(page, ram + i * PAGE_SIZE, PAGE_SIZE);
		if (all_zero(page, PAGE_SIZE))
			continue;
		nonzero++;
		if (pread(pfd, &entry, 8, ((uintptr_t)ram / PAGE_SIZE + i) * 8) != 8)
			die("pagemap read failed");
		pfn = entry & ((1ull << 55) - 1);
		if (!(entry >> 63) || !pfn) {
			no_pfn++;
			continue;
		}
		phys = pfn * PAGE_SIZE;
		for (s = 0; s < nsegs; s++)
			if (phys >= segs[s].paddr && phys < segs[s].paddr + segs[s].size)
				break;
		if (s == nsegs)
			die("PFN 0x%lx is in no /proc/kcore RAM segment", (unsigned long)pfn);
		if (pread(kfd, kpage, PAGE_SIZE, segs[s].offset + phys - segs[s].paddr) != PAGE_SIZE)
			die("/proc/kcore read failed: %s", strerror(errno));
		if (!memcmp(page, kpage, PAGE_SIZE))
			in_dmap++;
		else
			absent++;
	}
	free(vec);
	close(kfd);
	close(pfd);
	dmap.checked = true;
	dmap.nonzero = nonzero;
	dmap.in_dmap = in_dmap;

	printf("boot_guest: direct map check while the guest runs: %lu pages populated, %lu hold data: %lu readable through the direct map, %lu not (%.1f MiB), %lu without PFN\n",
	       populated, nonzero, in_dmap, absent, absent * PAGE_SIZE / 1048576.0, no_pfn);
	check(nonzero >= 256 && !no_pfn,
	      "enough guest RAM to check: %lu pages with data, all with a PFN", nonzero);
	if (opt.expect_direct_map)
		check(in_dmap == nonzero,
		      "control: every guest page with data is in the host direct map (%lu/%lu)",
		      in_dmap, nonzero);
	else
		check(in_dmap == 0,
		      "no guest page is readable through the host direct map (%lu of %lu are, %.1f MiB absent)",
		      in_dmap, nonzero, absent * PAGE_SIZE / 1048576.0);
}

static uint64_t get_msr(uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(vcpu_fd, KVM_GET_MSRS, &m) != 1)
		die("KVM_GET_MSRS(0x%x) failed", index);
	return m.e.data;
}

/* struct pvclock_vcpu_time_info, as the guest ABI defines it. */
struct pvclock_page {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad[2];
};

static void check_pv_features(void)
{
	uint64_t st = get_msr(MSR_KVM_SYSTEM_TIME_NEW);
	uint64_t steal = get_msr(MSR_KVM_STEAL_TIME);
	uint64_t eoi = get_msr(MSR_KVM_PV_EOI_EN);
	uint64_t apf = get_msr(MSR_KVM_ASYNC_PF_EN);

	printf("boot_guest: MSRs: system time 0x%lx, steal time 0x%lx, PV EOI 0x%lx, async PF 0x%lx\n",
	       (unsigned long)st, (unsigned long)steal, (unsigned long)eoi,
	       (unsigned long)apf);
	check(st & 1, "kvm-clock is enabled (MSR_KVM_SYSTEM_TIME_NEW 0x%lx)",
	      (unsigned long)st);
	if (st & 1) {
		/* vCPU 0's pvclock page is at the MSR's address. */
		struct pvclock_page *pv = gpa(st & ~1ull, sizeof(*pv));

		check(pv->tsc_to_system_mul && pv->version && !(pv->version & 1),
		      "KVM updates the pvclock page (version %u, tsc_to_system_mul %u, shift %d)",
		      pv->version, pv->tsc_to_system_mul, pv->tsc_shift);
	}
	check(steal & KVM_MSR_ENABLED, "steal time is enabled (MSR_KVM_STEAL_TIME 0x%lx)",
	      (unsigned long)steal);
	if (steal & KVM_MSR_ENABLED) {
		struct kvm_steal_time *s = gpa(steal & KVM_STEAL_VALID_BITS, sizeof(*s));

		check(s->version && !(s->version & 1),
		      "KVM updates the steal time page (version %u, steal %llu ns)",
		      s->version, (unsigned long long)s->steal);
	}
	check(eoi & KVM_MSR_ENABLED, "PV EOI is enabled (MSR_KVM_PV_EOI_EN 0x%lx)",
	      (unsigned long)eoi);
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* Print the non-zero statistics of a VM or vCPU file descriptor. */
static void print_stats(int fd, const char *what)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *desc;
	size_t dsize;
	uint64_t *data;
	int sfd;
	char *descs;
	uint32_t i, j;

	sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		die("KVM_GET_STATS_FD (%s): %s", what, strerror(errno));
	if (pread(sfd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		die("stats header (%s): %s", what, strerror(errno));
	dsize = sizeof(*desc) + hdr.name_size;
	descs = calloc(hdr.num_desc, dsize);
	if (!descs)
		die("out of memory");
	if (pread(sfd, descs, hdr.num_desc * dsize, hdr.desc_offset) !=
	    (ssize_t)(hdr.num_desc * dsize))
		die("stats descriptors (%s): %s", what, strerror(errno));
	for (i = 0; i < hdr.num_desc; i++) {
		desc = (struct kvm_stats_desc *)(descs + i * dsize);
		data = calloc(desc->size, sizeof(*data));
		if (!data)
			die("out of memory");
		if (pread(sfd, data, desc->size * sizeof(*data),
			  hdr.data_offset + desc->offset) !=
		    (ssize_t)(desc->size * sizeof(*data)))
			die("stats data (%s): %s", what, strerror(errno));
		for (j = 0; j < desc->size; j++)
			if (data[j] && desc->size == 1)
				printf("boot_guest: stat %s %s %llu\n", what, desc->name,
				       (unsigned long long)data[j]);
		free(data);
	}
	free(descs);
	close(sfd);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: boot_guest --memory anon|guest_memfd|guest_memfd_no_direct_map\n"
		"       [--kernel FILE] [--initrd FILE] [--mem MiB] [--cmdline ARGS]\n"
		"       [--expect-direct-map yes|no] [--timeout SECONDS]\n"
		"       [--sleep-tolerance PERCENT] [--quiet] [--stats]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "mem", required_argument, NULL, 's' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "expect-direct-map", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "sleep-tolerance", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 'S' },
		{}
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (i = 0; i < 3; i++)
				if (!strcmp(optarg, backing_names[i]))
					break;
			if (i == 3)
				usage();
			opt.backing = i;
			break;
		case 'k':
			opt.kernel = optarg;
			break;
		case 'i':
			opt.initrd = optarg;
			break;
		case 's':
			opt.mem_mib = strtoul(optarg, NULL, 0);
			if (opt.mem_mib < 64 || opt.mem_mib > 3072)
				usage();
			break;
		case 'a':
			opt.append = optarg;
			break;
		case 'd':
			if (!strcmp(optarg, "yes"))
				opt.expect_direct_map = 1;
			else if (!strcmp(optarg, "no"))
				opt.expect_direct_map = 0;
			else
				usage();
			break;
		case 't':
			opt.timeout = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			opt.sleep_tolerance = strtoul(optarg, NULL, 0);
			if (opt.sleep_tolerance < 1 || opt.sleep_tolerance > 50)
				usage();
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'S':
			opt.stats = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

int main(int argc, char **argv)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct sigaction sa = { .sa_handler = on_alarm };
	bool shutdown = false;
	long mmap_size;
	double sleep_s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	ram_size = opt.mem_mib << 20;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		skip("/dev/kvm: %s", strerror(errno));
	vm_fd = xioctl(kvm_fd, KVM_CREATE_VM, (void *)0, "KVM_CREATE_VM");

	setup_memory();
	xioctl(vm_fd, KVM_SET_TSS_ADDR, (void *)0xfffbd000ul, "KVM_SET_TSS_ADDR");
	xioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	xioctl(vm_fd, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");

	vcpu_fd = xioctl(vm_fd, KVM_CREATE_VCPU, (void *)0, "KVM_CREATE_VCPU");
	mmap_size = xioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED)
		die("mmap(vcpu): %s", strerror(errno));
	setup_cpuid();
	load_kernel();

	sigaction(SIGALRM, &sa, NULL);
	alarm(opt.timeout);
	t_start = now();
	while (!shutdown) {
		if (ioctl(vcpu_fd, KVM_RUN, NULL) < 0) {
			if (errno == EINTR && timed_out)
				break;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io();
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, run->mmio.len);
			break;
		case KVM_EXIT_SHUTDOWN:
			shutdown = true;
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			shutdown = true;
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die("KVM_EXIT_FAIL_ENTRY, reason 0x%llx",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			die("KVM_EXIT_INTERNAL_ERROR, suberror %u", run->internal.suberror);
		default:
			die("unexpected exit reason %u", run->exit_reason);
		}
	}
	alarm(0);
	if (uart.len) {
		uart.line[uart.len] = 0;
		guest_line(uart.line);
	}

	printf("boot_guest: guest ran %.2f s (%lu console lines)\n", now() - t_start,
	       guest.lines);
	if (opt.stats) {
		print_cpu_time("at exit");
		print_stats(vm_fd, "vm");
		print_stats(vcpu_fd, "vcpu");
	}
	check(!timed_out, "the guest finished within %u s", opt.timeout);
	check(guest.init > 0, "the guest reached its init (boot time %.2f s)",
	      guest.init > 0 ? guest.init - t_start : 0);
	if (guest.init > 0)
		printf("BOOT_TIME_MS %.0f\n", (guest.init - t_start) * 1000);
	check(!strcmp(guest.clocksource, "kvm-clock"), "the guest's clocksource is kvm-clock (%s)",
	      guest.clocksource[0] ? guest.clocksource : "not reported");
	sleep_s = guest.sleep_end - guest.sleep_begin;
	check(guest.sleep_begin > 0 && guest.sleep_end > 0 &&
	      sleep_s > 2.0 - 2.0 * opt.sleep_tolerance / 100 &&
	      sleep_s < 2.0 + 2.0 * opt.sleep_tolerance / 100,
	      "a 2 s sleep in the guest took %.3f s on the host (2 s +- %u%%)", sleep_s,
	      opt.sleep_tolerance);
	check(!guest.bad, "the guest console is clean%s%s",
	      guest.bad ? ": " : "", guest.bad ? guest.bad_line : "");
	check(guest.done > 0 && shutdown, "the guest shut itself down");
	check(guest.ready > 0, "the PV features%s were checked while the guest ran",
	      opt.expect_direct_map >= 0 ? " and the direct map" : "");

	printf("boot_guest: in short: a Linux guest with %lu MiB of RAM in %s memory %s its init in %.1f s, clocksource %s",
	       opt.mem_mib, backing_names[opt.backing],
	       guest.init > 0 ? "reached" : "did not reach",
	       guest.init > 0 ? guest.init - t_start : 0,
	       guest.clocksource[0] ? guest.clocksource : "unknown");
	if (dmap.checked)
		printf("; while it ran, %.1f MiB of its RAM held data, %.1f MiB of which %s the host's direct map",
		       dmap.nonzero * PAGE_SIZE / 1048576.0,
		       (opt.expect_direct_map ? dmap.in_dmap : dmap.nonzero - dmap.in_dmap) *
		       PAGE_SIZE / 1048576.0,
		       opt.expect_direct_map ? "was in" : "was absent from");
	printf(".\n");
	printf("boot_guest: %s: %d check(s) failed\n", backing_names[opt.backing], failures);
	return failures ? 1 : 0;
}
