// SPDX-License-Identifier: GPL-2.0
/* pxw_seccomp.c — a proxy worker's system calls, allowed by list (DESIGN
 * §9: workers run unprivileged and under seccomp). What a worker does
 * once it runs: accept, read, ask ztd, take the upstream sockets ztd
 * connected and hand ztd sockets (the hand-over pair only), splice,
 * reset, close, log to stderr, and manage its heap. No socket made, no
 * connect to any address and no socket option set: a compromised worker
 * connects nowhere itself (ztd still trusts the addresses its ASKs
 * claim: docs/proxy.md). No executable memory, no files opened, no
 * processes, no signals sent.
 * Anything else traps: the worker says which call and exits, ztd logs it
 * and starts another. Installed after the privileges are dropped and the
 * loop is made (no_new_privs is already set). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "log.h"
#include "pxw.h"

#if defined(__x86_64__)
#define PXW_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PXW_ARCH AUDIT_ARCH_AARCH64
#endif

/* The calls allowed whatever their arguments (getsockopt only reads). */
static const int allowed[] = {
	__NR_accept4, __NR_getsockname, __NR_getpeername, __NR_getsockopt,
	__NR_recvfrom, __NR_splice, __NR_pipe2, __NR_epoll_ctl,
	__NR_epoll_pwait, __NR_clock_gettime, __NR_gettimeofday, __NR_write, __NR_writev,
	__NR_brk, __NR_munmap, __NR_mremap, __NR_madvise, __NR_exit, __NR_exit_group,
	__NR_rt_sigreturn, __NR_restart_syscall, __NR_futex, __NR_getrandom, __NR_sched_yield,
	__NR_sigaltstack, /* the sanitizers' exit path frees its own signal stack */
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
#ifdef __NR_epoll_pwait2
	__NR_epoll_pwait2,
#endif
};

/* The listeners a worker shares with ztd (pxw.c): no option set on them
 * and no shutdown, so what a worker does to them cannot outlive it. */
#define FD_L4 3
#define FD_L6 4

/* A filter being written: jumps name labels, resolved when placed. */
enum { L_ALLOW, L_TRAP, L_MAX };
struct asm_ {
	struct sock_filter f[160];
	unsigned n, at[L_MAX];
	struct { unsigned insn, jt, jf; } fix[64];
	unsigned n_fix;
};

static void stmt(struct asm_ *a, __u16 code, __u32 k)
{
	a->f[a->n++] = (struct sock_filter)BPF_STMT(code, k);
}

/* A jump if A == k (or A & k, with BPF_JSET) to label jt, else to jf;
 * L_MAX as a label: the next instruction. */
static void jmp(struct asm_ *a, __u16 op, __u32 k, unsigned jt, unsigned jf)
{
	a->fix[a->n_fix].insn = a->n;
	a->fix[a->n_fix].jt = jt;
	a->fix[a->n_fix++].jf = jf;
	a->f[a->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0);
}

static void label(struct asm_ *a, unsigned l)
{
	a->at[l] = a->n;
}

/* Resolves the jumps written since the last block to their labels. */
static void block_end(struct asm_ *a)
{
	unsigned i;

	for (i = 0; i < a->n_fix; i++) {
		unsigned from = a->fix[i].insn + 1;

		if (a->fix[i].jt != L_MAX)
			a->f[a->fix[i].insn].jt = (__u8)(a->at[a->fix[i].jt] - from);
		if (a->fix[i].jf != L_MAX)
			a->f[a->fix[i].insn].jf = (__u8)(a->at[a->fix[i].jf] - from);
	}
	a->n_fix = 0;
}

#define ARG(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(__u64)) /* low half */
#define LD(a, off) stmt(a, BPF_LD | BPF_W | BPF_ABS, (__u32)(off))
#define RET(a, v) stmt(a, BPF_RET | BPF_K, v)

/* One call allowed with conditions: a block entered when nr matches
 * (else on to the next block), ending in its own ALLOW and TRAP. */
static void block_begin(struct asm_ *a, int nr, unsigned body)
{
	/* nr is in A at every block's start: blocks only ever return. */
	a->f[a->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0,
						    (__u8)body);
}

static void tail(struct asm_ *a)
{
	label(a, L_ALLOW);
	RET(a, SECCOMP_RET_ALLOW);
	label(a, L_TRAP);
	RET(a, SECCOMP_RET_TRAP);
	block_end(a);
}

/* Writes one conditional block for nr with fn, sized by a dry run. */
static void block(struct asm_ *a, int nr, void (*fn)(struct asm_ *))
{
	struct asm_ dry = { .n = 0 };

	fn(&dry);
	tail(&dry);
	block_begin(a, nr, dry.n);
	fn(a);
	tail(a);
}

/* connect: a reset only (AF_UNSPEC: pxw_rst), told apart by its length,
 * the family's 2 bytes, which no address fits (the kernel refuses an
 * IPv4 one under 16 and an IPv6 one under 24 before it connects); never
 * the listeners, which a disconnect would stop listening. No
 * setsockopt at all: no SO_LINGER (set on a socket handed to ztd, a long
 * linger would make ztd's close of it block), no device, no mark. */
static void b_connect(struct asm_ *a)
{
	LD(a, ARG(0));
	jmp(a, BPF_JEQ, FD_L4, L_TRAP, L_MAX);
	jmp(a, BPF_JEQ, FD_L6, L_TRAP, L_MAX);
	LD(a, ARG(2));
	jmp(a, BPF_JEQ, sizeof(sa_family_t), L_ALLOW, L_TRAP);
}

/* sendto (send): to no address, and no TCP Fast Open (a sendto with an
 * address and MSG_FASTOPEN connects a socket, as connect does). The
 * pointer is checked whole: an address whose low half is 0 is one. */
static void b_sendto(struct asm_ *a)
{
	LD(a, ARG(3));
	jmp(a, BPF_JSET, MSG_FASTOPEN, L_TRAP, L_MAX);
	LD(a, ARG(4));
	jmp(a, BPF_JEQ, 0, L_MAX, L_TRAP);
	LD(a, ARG(4) + 4);
	jmp(a, BPF_JEQ, 0, L_ALLOW, L_TRAP);
}

/* recvmsg: on the hand-over socket pair only (ztd's upstream sockets). */
static void b_recvmsg(struct asm_ *a)
{
	LD(a, ARG(0));
	jmp(a, BPF_JEQ, PXW_FD_HAND, L_ALLOW, L_TRAP);
}

/* shutdown: a half-close passed on; never the listeners. */
static void b_shutdown(struct asm_ *a)
{
	LD(a, ARG(0));
	jmp(a, BPF_JEQ, FD_L4, L_TRAP, L_MAX);
	jmp(a, BPF_JEQ, FD_L6, L_TRAP, L_ALLOW);
}

/* sendmsg: on the hand-over socket pair only (a socket for ztd), and no
 * TCP Fast Open: were fd 6 ever a TCP socket, a msg_name with it would
 * connect it. */
static void b_sendmsg(struct asm_ *a)
{
	LD(a, ARG(2));
	jmp(a, BPF_JSET, MSG_FASTOPEN, L_TRAP, L_MAX);
	LD(a, ARG(0));
	jmp(a, BPF_JEQ, PXW_FD_HAND, L_ALLOW, L_TRAP);
}

/* close: never the listeners or the hand-over pair. The checks above
 * name them by number: closed, the number would go to the next socket
 * accepted (the lowest free one), which they would then let through. */
static void b_close(struct asm_ *a)
{
	LD(a, ARG(0));
	jmp(a, BPF_JEQ, FD_L4, L_TRAP, L_MAX);
	jmp(a, BPF_JEQ, FD_L6, L_TRAP, L_MAX);
	jmp(a, BPF_JEQ, PXW_FD_HAND, L_TRAP, L_ALLOW);
}

/* fcntl: a pipe's size only (no owner or signal to set, no duplicate). */
static void b_fcntl(struct asm_ *a)
{
	LD(a, ARG(1));
	jmp(a, BPF_JEQ, F_SETPIPE_SZ, L_ALLOW, L_MAX);
	jmp(a, BPF_JEQ, F_GETPIPE_SZ, L_ALLOW, L_TRAP);
}

/* mmap and mprotect (the heap), never executable. */
static void b_noexec(struct asm_ *a)
{
	LD(a, ARG(2));
	jmp(a, BPF_JSET, PROT_EXEC, L_TRAP, L_ALLOW);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[96] = "zt: warning: proxy worker: system call ";
	char num[12];
	size_t n = strlen(msg), k = 0;
	unsigned v = (unsigned)si->si_syscall;

	(void)sig;
	(void)uc;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(num));
	while (k && n < sizeof(msg) - 40)
		msg[n++] = num[--k];
	memcpy(msg + n, " refused (seccomp); exiting\n", 29);
	if (write(2, msg, n + 28) < 0)
		_exit(3);
	_exit(3);
}

int pxw_seccomp(void)
{
#ifdef PXW_ARCH
	static struct asm_ a;
	struct sock_fprog prog;
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL))
		return -errno;
	memset(&a, 0, sizeof(a));
	/* Another architecture's calls (and x32's) are not these numbers. */
	LD(&a, offsetof(struct seccomp_data, arch));
	a.f[a.n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PXW_ARCH, 1, 0);
	RET(&a, SECCOMP_RET_KILL_PROCESS);
	LD(&a, offsetof(struct seccomp_data, nr));
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		a.f[a.n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							  (__u32)allowed[i], 0, 1);
		RET(&a, SECCOMP_RET_ALLOW);
	}
	block(&a, __NR_shutdown, b_shutdown);
	block(&a, __NR_connect, b_connect);
	block(&a, __NR_sendto, b_sendto);
	block(&a, __NR_sendmsg, b_sendmsg);
	block(&a, __NR_recvmsg, b_recvmsg);
	block(&a, __NR_close, b_close);
	block(&a, __NR_fcntl, b_fcntl);
	block(&a, __NR_mmap, b_noexec);
	block(&a, __NR_mprotect, b_noexec);
	RET(&a, SECCOMP_RET_TRAP);
	prog.len = (unsigned short)a.n;
	prog.filter = a.f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
#else
	pr_warn("proxy worker: no seccomp filter for this architecture\n");
	return 0;
#endif
}
