// SPDX-License-Identifier: GPL-2.0
/* main.c — ztconnector: runs inside a private network and dials out to
 * the zt gateway of its tunnel (docs/tunnel.md), keeping N connections
 * (default 4) up. It needs no inbound port and no route back to the
 * clients. Its credentials are a token from `ztctl tunnel create`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "log.h"
#include "ztconnector.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztconnector (--token TOKEN | --token-file FILE | --config FILE)\n"
		"                   [--connections N] [--name NAME] [--user USER]\n"
		"                   [--resolver ADDR[:PORT]] [-v|-q]\n\n"
		"Dials out to the zt gateway of one remote tunnel and keeps N connections\n"
		"(default 4, at most %d) open to it over TLS 1.3, spread over the gateway\n"
		"addresses the token names. The gateway's certificate must have the key the\n"
		"token pins; the tunnel's id and secret (in the token) authenticate this\n"
		"side. A connection that ends is made again after a backoff (1 s doubling\n"
		"to 60 s, with jitter); PINGs every 5 s notice a dead path within 15 s.\n"
		"The gateway opens a stream per flow (TCP, to an address or to the hostname\n"
		"of an IRI, which the connector resolves in the private network); the\n"
		"connector dials the origin and relays. SIGTERM or SIGINT: says GO_AWAY on each connection\n"
		"(no new streams), lets live streams finish, closes and exits within %d s.\n\n"
		"  --token TOKEN       the token 'ztctl tunnel create NAME' printed (zt1....)\n"
		"  --token-file FILE   ... read from FILE (keep it mode 0600: it is a secret)\n"
		"  --connections N     connections to keep (the gateway calls the tunnel\n"
		"                      healthy when all N are up)\n"
		"  --name NAME         how the gateway's logs and 'ztctl tunnel status' name\n"
		"                      this connector (default: the host name)\n"
		"  --user USER         when started as root: run as USER once the token is read\n"
		"  --resolver ADDR     resolve hostnames with this DNS server (ADDR, ADDR:PORT\n"
		"                      or [IPv6]:PORT) instead of the host's resolv.conf\n"
		"                      servers (/etc/hosts is read first either way)\n"
		"  --config FILE       a YAML file with the same settings (token, token_file,\n"
		"                      connections, name, user, resolver; an option given\n"
		"                      here wins) and ingress rules: which service a stream\n"
		"                      reaches, first match wins, the last matching all:\n"
		"                        ingress:\n"
		"                          - {hostname: ssh.corp.internal, port: 22,\n"
		"                             service: tcp://127.0.0.1:22}\n"
		"                          - {hostname: '*.corp.internal', port: 80, service: dial}\n"
		"                          - {service: refuse}\n"
		"                      (dial: where the stream asks; refuse; tcp://HOST:PORT:\n"
		"                      TCP there instead, loopback allowed; such a rule\n"
		"                      names its port). Without rules\n"
		"                      every stream is dialled where it asks\n"
		"  -v, -q              more, or less, logging\n",
		ZT_MUX_CONNS_MAX, ZC_DRAIN_MS / 1000);
}

static int read_token_file(const char *path, char *buf, size_t n)
{
	struct stat st;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "ztconnector: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fstat(fd, &st) && (st.st_mode & 077))
		fprintf(stderr, "ztconnector: warning: %s can be read by others (mode %03o): it "
			"holds the tunnel's secret; chmod 600 it\n", path, st.st_mode & 0777);
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0 || (size_t)r == n - 1) {
		fprintf(stderr, "ztconnector: %s: %s\n", path,
			r < 0 ? strerror(errno) : "too long to be a token");
		return -1;
	}
	buf[r] = 0;
	return 0;
}

static int drop_to(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "ztconnector: --user %s: no such user\n", user);
		return -1;
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		fprintf(stderr, "ztconnector: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	return 0;
}

struct sigwatch {
	struct zt_io io;
	struct connector *k;
	struct zt_timer tick;
	__u64 deadline;
};

static void on_tick(struct zt_timer *t)
{
	struct sigwatch *w = (struct sigwatch *)((char *)t - offsetof(struct sigwatch, tick));

	if (!w->k->streams || !zc_live(w->k) || zt_mono_ms() >= w->deadline) {
		if (w->k->streams)
			pr_warn("%llu streams still live after %d s: reset\n",
				(unsigned long long)w->k->streams, ZC_DRAIN_MS / 1000);
		zc_close(w->k);
		zt_loop_stop(w->k->loop);
	} else {
		zt_timer_arm(w->k->loop, t, 50);
	}
}

static void on_signal(struct zt_io *io, __u32 events)
{
	struct sigwatch *w = (struct sigwatch *)io;
	struct signalfd_siginfo si;

	(void)events;
	if (read(io->fd, &si, sizeof(si)) != sizeof(si) || w->k->draining)
		return;
	pr_info("signal %u: draining (GO_AWAY to the gateway; %llu live streams may finish), "
		"exiting within %d s\n", si.ssi_signo, (unsigned long long)w->k->streams,
		ZC_DRAIN_MS / 1000);
	zc_drain(w->k);
	w->deadline = zt_mono_ms() + ZC_DRAIN_MS;
	zt_timer_arm(w->k->loop, &w->tick, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "connections", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "user", required_argument, NULL, 'u' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct connector k;
	static char tokbuf[ZT_TOKEN_MAX + 256];
	const char *token = NULL, *file = NULL, *user = NULL, *resolver = NULL, *config = NULL;
	static struct zt_connector_cfg cfg;
	struct zt_cfg_errors errs;
	bool name_set = false, conns_set = false;
	struct stat st;
	struct sigwatch w = { 0 };
	sigset_t mask;
	unsigned i;
	char *end;
	int o, err;

	k.n = 4;
	while ((o = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (o) {
		case 't': token = optarg; break;
		case 'f': file = optarg; break;
		case 'u': user = optarg; break;
		case 'r': resolver = optarg; break;
		case 'c': config = optarg; break;
		case 'N':
			snprintf(k.name, sizeof(k.name), "%s", optarg);
			name_set = true;
			break;
		case 'n':
			errno = 0;
			k.n = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !k.n || k.n > ZT_MUX_CONNS_MAX) {
				fprintf(stderr, "ztconnector: --connections must be 1 to %d, not '%s'\n",
					ZT_MUX_CONNS_MAX, optarg);
				return 2;
			}
			conns_set = true;
			break;
		case 'v': zt_log_level = ZT_LOG_DEBUG; break;
		case 'q': zt_log_level = ZT_LOG_WARN; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config) {
		err = zt_connector_cfg_load(config, &cfg, &errs);
		if (err == -EINVAL) {
			zt_cfg_errors_print(&errs, stderr);
			zt_cfg_errors_free(&errs);
			fprintf(stderr, "ztconnector: %s is invalid (errors above)\n", config);
			return 1;
		}
		if (err) {
			fprintf(stderr, "ztconnector: %s: %s\n", config, strerror(-err));
			return 1;
		}
		if (cfg.token && !stat(config, &st) && (st.st_mode & 077))
			fprintf(stderr, "ztconnector: warning: %s holds the tunnel's token and can "
				"be read by others (mode %03o); chmod 600 it\n", config,
				st.st_mode & 0777);
		/* The command line's own settings win. */
		if (!token && !file) {
			token = cfg.token;
			file = cfg.token_file;
		}
		user = user ? user : cfg.user;
		resolver = resolver ? resolver : cfg.resolver;
		if (!name_set && cfg.name)
			snprintf(k.name, sizeof(k.name), "%s", cfg.name);
		if (cfg.connections && !conns_set)
			k.n = cfg.connections;
		k.ingress = cfg.ingress;
		k.n_ingress = cfg.n_ingress;
	}
	if (optind < argc || !!token == !!file) {
		fprintf(stderr, "ztconnector: %s; see ztconnector --help\n",
			optind < argc ? "unexpected arguments" :
			token ? "give --token or --token-file, not both" :
				"a token is needed: --token TOKEN, --token-file FILE, or "
				"token or token_file in --config FILE");
		return 2;
	}
	if (file) {
		if (read_token_file(file, tokbuf, sizeof(tokbuf)))
			return 1;
		token = tokbuf;
	}
	if (zt_token_get(token, &k.tok)) {
		fprintf(stderr, "ztconnector: the token does not parse: copy it whole from "
			"'ztctl tunnel token NAME' (it starts with %s)\n", ZT_TOKEN_PREFIX);
		return 1;
	}
	if (!k.name[0] && gethostname(k.name, sizeof(k.name) - 1))
		snprintf(k.name, sizeof(k.name), "connector");
	if (user && drop_to(user))
		return 1;
	if (!geteuid())
		pr_info("running as root; --user USER (or the systemd unit's DynamicUser) runs "
			"it unprivileged: it needs no privilege\n");
	k.ctx = zt_tls_client(k.tok.pin);
	k.big.max = ZT_MUX_BIG_BUDGET;
	k.lim.big = &k.big;
	if (!k.ctx || (err = zt_loop_new(&k.loop))) {
		fprintf(stderr, "ztconnector: cannot set up TLS or the event loop\n");
		return 1;
	}
	if (zc_resolver_open(&k, resolver))
		return 2;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	w.k = &k;
	w.io.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	w.io.cb = on_signal;
	w.tick.cb = on_tick;
	if (w.io.fd < 0 || zt_io_add(k.loop, &w.io, EPOLLIN)) {
		fprintf(stderr, "ztconnector: cannot watch signals\n");
		return 1;
	}
	pr_info("tunnel %s: keeping %u connections to the gateway (%u address%s)\n", k.tok.name,
		k.n, k.tok.n_addrs, k.tok.n_addrs == 1 ? "" : "es");
	for (i = 0; i < k.n; i++) {
		k.c[i].k = &k;
		k.c[i].idx = i;
		k.c[i].addr = i % k.tok.n_addrs;
		zc_start(&k.c[i]);
	}
	err = zt_loop_run(k.loop);
	pr_info("exiting\n");
	zt_tls_ctx_free(k.ctx);
	return err ? 1 : 0;
}
