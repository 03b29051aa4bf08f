// SPDX-License-Identifier: GPL-2.0
/* pxw_seccomp.c — a proxy worker's system calls, allowed by list (DESIGN
 * §9: workers run unprivileged and under seccomp). What a worker does
 * once it runs: accept, read, ask ztd, connect, splice, close, log to
 * stderr, and manage its heap. socket() only for IPv4 and IPv6; no
 * executable memory; no files opened, no processes, no signals sent.
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include "log.h"

#if defined(__x86_64__)
#define PXW_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PXW_ARCH AUDIT_ARCH_AARCH64
#endif

/* The calls allowed whatever their arguments. */
static const int allowed[] = {
	__NR_accept4, __NR_getsockname, __NR_getpeername, __NR_getsockopt, __NR_setsockopt,
	__NR_connect, __NR_recvfrom, __NR_sendto, __NR_shutdown, __NR_splice, __NR_pipe2,
	__NR_fcntl, __NR_close, __NR_epoll_ctl, __NR_epoll_pwait, __NR_clock_gettime,
	__NR_gettimeofday, __NR_write, __NR_writev, __NR_brk, __NR_munmap, __NR_mremap,
	__NR_madvise, __NR_exit, __NR_exit_group, __NR_rt_sigreturn, __NR_restart_syscall,
	__NR_futex, __NR_getrandom, __NR_sched_yield,
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
#ifdef __NR_epoll_pwait2
	__NR_epoll_pwait2,
#endif
};

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(__u64))

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
	struct sock_filter f[4 + 2 * (sizeof(allowed) / sizeof(allowed[0])) + 16];
	struct sock_fprog prog = { .filter = f };
	struct sigaction sa;
	size_t n = 0, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL))
		return -errno;
	/* Another architecture's calls (and x32's) are not these numbers. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PXW_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (__u32)allowed[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	/* socket(AF_INET or AF_INET6, ...): the upstream connections. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 5);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	/* mmap and mprotect (the heap), never executable. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 1, 0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 4);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog.len = (unsigned short)n;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
#else
	pr_warn("proxy worker: no seccomp filter for this architecture\n");
	return 0;
#endif
}
