// SPDX-License-Identifier: GPL-2.0
/* tunnel_access.c — access clients (`ztctl access ssh|tcp`, seed 003):
 * a user's client dials the tunnel endpoint like a connector, presents
 * the user token ztd signed (HELLO version 2), and opens a stream per
 * connection to HOSTNAME:PORT (or ADDRESS:PORT). Each stream is decided
 * with the policy in force as a flow of that user (the token's email,
 * groups and vnet), to the name's hostname route as if to its IRI, with
 * the DNS policies too; a rule that needs the first bytes (detected
 * protocol, SNI) waits for them as the proxy does. Allowed to a remote
 * tunnel, it is carried on a stream of that tunnel's connector, the two
 * streams joined through a socket pair by two bridges (bridge.h). A
 * reload decides every live stream again; a token that expires or is
 * revoked closes its connections (tunnel.c). docs/access.md. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bridge.h"
#include "clock.h"
#include "detect.h"
#include "dnspolicy.h"
#include "l7.h"
#include "log.h"
#include "names.h"
#include "tunnel_int.h"
#include "zt_abi.h"

struct acc_flow {
	struct gw_conn *c;             /* the access connection */
	struct acc_flow *prev, *next;
	struct zt_mux_stream *s;       /* the client's stream, until decided */
	struct zt_bridge *ba, *bt;     /* then: the client's side, the tunnel's */
	bool a_done, t_done;
	bool building;                 /* go() is making the bridges: done only marks */
	bool revoked;
	bool inspected;                /* decided by its first bytes (det) */
	bool fds;                      /* holds a socket pair (2 of access_fd_max) */
	struct zt_timer timer;         /* the first bytes' deadline */
	struct zt_mux_open o;          /* where the client asked to go */
	struct zt_detected det;
	struct zt_eval_result r;
	char tunnel[ZT_CTL_NAME_MAX];
	const char *end;
	__u64 start_ms, up, down;
};

/* ---- the network log ------------------------------------------------------------ */

static void acc_log(const struct acc_flow *f, const char *end)
{
	const struct ztd *d = f->c->tt->d;
	const struct zt_utoken *u = f->c->user;
	char t[64], id[2 * ZT_UTOKEN_ID_LEN + 1], dst[INET6_ADDRSTRLEN] = "";
	FILE *o = d->netlog;

	if (!o)
		return;
	/* Refused streams (anyone with a token can ask for many) share the
	 * budget of the proxy's refused flows. */
	if (!f->tunnel[0] && !zt_rate_ok(&f->c->tt->access_netlog, d->cfg.proxy_blocked_logs,
					 zt_mono_ms(), NULL)) {
		f->c->tt->access_log_suppressed++;
		return;
	}
	if (f->o.family)
		inet_ntop(f->o.family == ZT_AF_INET ? AF_INET : AF_INET6, f->o.addr, dst,
			  sizeof(dst));
	zt_utoken_id_str(u->id, id);
	fprintf(o, "{\"time\":\"%s\",\"kind\":\"access\",\"user_email\":",
		zt_log_time(t, sizeof(t), (long long)zt_clock_ns(CLOCK_REALTIME)));
	zt_json_str(o, u->email);
	fprintf(o, ",\"token\":\"%s\",\"client\":", id);
	zt_json_str(o, f->c->peer);
	fprintf(o, ",\"hostname\":");
	zt_json_str(o, f->o.hostname);
	fprintf(o, ",\"dst\":");
	zt_json_str(o, dst);
	fprintf(o, ",\"dst_port\":%u,\"detected\":\"%s\",\"tunnel\":", f->o.port,
		f->inspected ? zt_l7_proto_name(f->det.proto) : "");
	zt_json_str(o, f->tunnel);
	fprintf(o, ",\"rule\":");
	zt_json_str(o, f->r.rule_id ? zt_name(&d->names, ZT_N_RULE, f->r.rule_id) : "");
	fprintf(o, ",\"rule_id\":%u,\"action\":\"%s\",\"bytes_up\":%llu,\"bytes_down\":%llu,"
		"\"duration_ms\":%llu,\"end\":\"%s\",\"generation\":%u}\n", f->r.rule_id,
		f->tunnel[0] ? "steer" : "drop", (unsigned long long)f->up,
		(unsigned long long)f->down, (unsigned long long)(zt_mono_ms() - f->start_ms), end,
		d->generation);
}

/* Lines in ztd's log about access: 20 a second (anyone with a token can
 * cause many); those not written are counted and said. */
static bool access_say(struct ztd_tunnels *tt)
{
	return zt_rate_say(&tt->access_log, 20, zt_mono_ms(),
			   "refused or ended access streams and connections");
}

/* ---- a flow's life ------------------------------------------------------------------ */

static void flow_free(struct acc_flow *f, const char *end)
{
	struct gw_conn *c = f->c;

	acc_log(f, end);
	zt_timer_stop(c->tt->d->loop, &f->timer);
	if (f->prev)
		f->prev->next = f->next;
	else
		c->flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	c->n_flows--;
	c->tt->n_access_flows--;
	if (f->fds)
		c->tt->access_fds -= 2;
	free(f);
}

/* Refused before it was carried: the client's stream reset with code
 * (it says why), counted, logged (within a budget: anyone with a token
 * can ask for many). */
static void refuse(struct acc_flow *f, __u32 code, const char *why)
{
	struct ztd_tunnels *tt = f->c->tt;

	if (code == ZT_MUX_E_POLICY)
		tt->access_blocked++;
	else
		tt->access_failed++;
	if (access_say(tt))
		pr_info("access for %s to %s:%u refused: %s\n", f->c->user->email,
			f->o.hostname[0] ? f->o.hostname : "(an address)", f->o.port, why);
	f->tunnel[0] = 0;
	if (f->s)
		zt_mux_release(f->s, code);
	f->s = NULL;
	zt_tconn_flush(&f->c->t);
	flow_free(f, zt_mux_err_name(code));
}

static void maybe_free(struct acc_flow *f)
{
	if (f->a_done && f->t_done)
		flow_free(f, f->end ? f->end : "closed");
}

/* The tunnel's side ended: with a code (the connector refused, the
 * connection ended), the client's stream is reset with it. */
static void done_t(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		   __u64 out)
{
	struct acc_flow *f = arg;
	struct ztd_tunnels *tt = f->c->tt;

	(void)b;
	f->bt = NULL;
	f->t_done = true;
	if (f->building)
		return;
	f->up = in;
	f->down = out;
	if (code && !f->end) {
		struct tun_state *ts = tun_state_by_name(tt, f->tunnel);

		f->end = zt_mux_err_name(code);
		if (code != ZT_MUX_E_GONE && ts)
			ts->failed++;
		if (access_say(tt))
			pr_info("access for %s to %s:%u: the tunnel's side ended: %s (%s)\n",
				f->c->user->email,
				f->o.hostname[0] ? f->o.hostname : "(an address)", f->o.port,
				zt_mux_err_name(code), why ? why : "");
	}
	if (f->ba && code) {
		zt_bridge_abort(f->ba, code == ZT_MUX_E_GONE ? ZT_MUX_E_UNREACHABLE : code, why);
		return; /* done_a frees f */
	}
	maybe_free(f);
}

static void done_a(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		   __u64 out)
{
	struct acc_flow *f = arg;

	(void)b;
	(void)in;
	(void)out;
	f->ba = NULL;
	f->a_done = true;
	if (f->building)
		return;
	if (code && !f->end)
		f->end = "client_reset";
	if (f->bt && code) {
		zt_bridge_abort(f->bt, ZT_MUX_E_NONE, why);
		return; /* done_t frees f */
	}
	maybe_free(f);
}

/* ---- the decision -------------------------------------------------------------------- */

struct who {
	const struct zt_config *cfg;
	__u32 user, vnet;
	__u64 groups;
};

/* The token's user meets rule idx's user, group and vnet selectors. */
static bool who_match(void *arg, __u32 idx)
{
	const struct who *w = arg;
	const struct zt_cfg_policy *p = &w->cfg->policies[idx];
	size_t i;
	bool in;

	for (i = 0, in = !p->n_users; i < p->n_users; i++)
		in |= p->users[i] == w->user;
	if (!in || (p->groups && !(p->groups & w->groups)))
		return false;
	for (i = 0, in = !p->n_vnets; i < p->n_vnets; i++)
		in |= p->vnets[i] == w->vnet;
	return in;
}

static bool l7_all(void *arg, __u32 idx)
{
	(void)idx;
	return arg != NULL;
}

/* Decides f (final: its first bytes are in f->det, or none will come).
 * 1: decided, f->r and f->tunnel set; 0: the first bytes decide (not
 * final); < 0: refused, *code and *why say why. */
static int decide(struct acc_flow *f, bool final, __u32 *code, const char **why)
{
	struct ztd *d = f->c->tt->d;
	const struct zt_config *cfg = &d->cfg;
	const struct zt_utoken *u = f->c->user;
	struct who w = { .cfg = cfg };
	struct zt_l7_flow fl = { .dport = f->o.port, .proto = f->det.proto, .name = f->det.name };
	struct zt_l7_arg la = { .cfg = cfg, .flow = &fl };
	struct zt_eval_pkt p = { 0 };
	struct zt_eval_result any, none;
	const struct zt_cfg_tunnel *t;
	struct zt_iri_entry ie = { 0 };
	struct zt_compiled cc;
	struct zt_bitmap idb;

	*code = ZT_MUX_E_POLICY;
	if (!d->policy) {
		*why = "no policy in force";
		return -1;
	}
	w.vnet = tun_user_vnet(cfg, u->vnet);
	w.user = tun_user_id(cfg, u->email);
	w.groups = tun_user_groups(cfg, u->groups);
	if (!w.vnet) {
		*why = "the token's virtual network is no longer in the config";
		return -1;
	}
	cc = *d->policy;
	cc.iris = NULL;
	cc.n_iris = 0;
	zt_compiled_ident(&cc, who_match, &w, &idb);
	p.ident = &idb;
	p.ident_vnet = w.vnet;
	p.pclass = ZT_PC_TCP;
	p.dport = f->o.port;
	if (f->o.hostname[0]) {
		/* To the name's hostname route, as to an IRI given for it (the
		 * DNS policies first: a name the user may not resolve is one
		 * the user may not reach by name). */
		struct ztd_tunnels *tt = f->c->tt;
		const struct zt_cfg_host_route *hr;
		struct zt_dns_decision dd;

		if (!tt->acc_table_ok || tt->acc_table_gen != d->generation) {
			if (tt->acc_table_ok)
				zt_dns_table_free(&tt->acc_table);
			tt->acc_table_ok = !zt_dns_table_build(cfg, &tt->acc_table);
			tt->acc_table_gen = d->generation;
		}
		if (!tt->acc_table_ok) {
			*code = ZT_MUX_E_BUSY;
			*why = "out of memory";
			return -1;
		}
		zt_dns_decide(cfg, &tt->acc_table, f->o.hostname, 1, w.user, w.groups, w.vnet, &dd);
		if (dd.action == ZT_DNSA_BLOCK) {
			*why = "a DNS policy blocks the name for this user";
			return -1;
		}
		if (dd.route < 0) {
			*code = ZT_MUX_E_NO_ROUTE;
			*why = "no hostname route covers the name in the user's virtual network";
			return -1;
		}
		hr = &cfg->host_routes[dd.route];
		ie.key.vnet_id = w.vnet;
		ie.key.family = ZT_AF_INET;
		memcpy(ie.key.addr, cfg->iri4.addr, 4);
		zt_compiled_iri_dst(&cc, f->o.hostname, ZT_ROUTE_ID_HOST | (__u32)(dd.route + 1),
				    hr->tunnel, cfg->tunnels[hr->tunnel - 1].local, &ie.dst);
		cc.iris = &ie;
		cc.n_iris = 1;
		p.family = ZT_AF_INET;
		memcpy(p.dst, ie.key.addr, 4);
		fl.iri_name = f->o.hostname;
	} else {
		if (ztd_in_iri_pool(cfg, f->o.family, f->o.addr)) {
			*code = ZT_MUX_E_NO_ROUTE;
			*why = "an IRI stands for a name: ask for the name";
			return -1;
		}
		p.family = f->o.family;
		memcpy(p.dst, f->o.addr, 16);
	}
	if (!final) {
		zt_policy_eval_l7(&cc, &p, l7_all, &cc, &any);
		zt_policy_eval_l7(&cc, &p, l7_all, NULL, &none);
		if (any.rule_id != none.rule_id || any.verdict != none.verdict)
			return 0;
		f->r = any;
	} else {
		zt_policy_eval_l7(&cc, &p, zt_l7_match, &la, &f->r);
	}
	if (f->r.verdict == ZT_V_PASS || !f->r.route_id) {
		*code = ZT_MUX_E_NO_ROUTE;
		*why = "no route of the config covers the address";
		return -1;
	}
	t = ztd_route_tunnel(cfg, f->r.route_id);
	if (!t || t->local) {
		*code = ZT_MUX_E_NO_ROUTE;
		*why = "its route is a local tunnel's: access reaches remote tunnels' hosts only";
		return -1;
	}
	if (f->r.verdict == ZT_V_DROP) {
		*why = f->r.reason == ZT_R_DEFAULT ? "no policy allows it (default: block)" :
						       "a policy blocks it";
		return -1;
	}
	snprintf(f->tunnel, sizeof(f->tunnel), "%s", t->name);
	return 1;
}

/* ---- carrying it ------------------------------------------------------------------- */

static void go(struct acc_flow *f)
{
	struct ztd_tunnels *tt = f->c->tt;
	struct tun_state *ts = tun_state_by_name(tt, f->tunnel);
	struct gw_conn *tc = ts ? tun_least_busy(tt, (int)(ts - tt->ts)) : NULL;
	const struct zt_cfg_tunnel *t = ztd_route_tunnel(&tt->d->cfg, f->r.route_id);
	struct zt_mux_open o = f->o;
	struct zt_mux_stream *s = f->s, *s2;
	int sp[2], err = 0;

	if (!tc) {
		refuse(f, ZT_MUX_E_NO_CONNECTOR, "no connection of the tunnel's connector is up");
		return;
	}
	/* Where the decision was for, and nothing else: a name (the
	 * connector resolves it) or an address, never the client's other. */
	o.vnet = (__u16)t->vnet;
	if (o.hostname[0]) {
		o.family = 0;
		memset(o.addr, 0, sizeof(o.addr));
	}
	if (tt->access_fds + 2 > tt->access_fd_max) {
		refuse(f, ZT_MUX_E_BUSY, "the descriptors for access streams are all in use");
		return;
	}
	s2 = zt_mux_open(tc->t.mux, &o, NULL, &err);
	ts->streams++;
	if (!s2) {
		ts->failed++;
		refuse(f, ZT_MUX_E_BUSY, strerror(-err));
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp)) {
		zt_mux_release(s2, ZT_MUX_E_NONE);
		zt_tconn_flush(&tc->t);
		refuse(f, ZT_MUX_E_BUSY, strerror(errno));
		return;
	}
	if (zt_mux_accept(s)) {
		close(sp[0]);
		close(sp[1]);
		zt_mux_release(s2, ZT_MUX_E_NONE);
		zt_tconn_flush(&tc->t);
		refuse(f, ZT_MUX_E_BUSY, "the client's stream is gone");
		return;
	}
	tt->access_streams++;
	tt->access_fds += 2;
	f->fds = true;
	zt_timer_stop(tt->d->loop, &f->timer);
	f->s = NULL;
	/* Either bridge may end inside its constructor: until both are
	 * made, done only marks it, and what is left is undone here. */
	f->building = true;
	if (zt_bridge_new(&tc->t, s2, sp[1], false, done_t, f))
		f->t_done = true;
	else if (!f->t_done)
		f->bt = zt_mux_user(s2);
	if (f->t_done) {
		close(sp[0]);
		zt_mux_release(s, ZT_MUX_E_UNREACHABLE);
		zt_tconn_flush(&f->c->t);
		f->a_done = true;
	} else if (zt_bridge_new(&f->c->t, s, sp[0], false, done_a, f)) {
		f->a_done = true;
	} else if (!f->a_done) {
		f->ba = zt_mux_user(s);
	}
	f->building = false;
	if (f->a_done && f->bt)
		zt_bridge_abort(f->bt, ZT_MUX_E_NONE, "the client's side ended"); /* frees f */
	else if (f->t_done && f->ba)
		zt_bridge_abort(f->ba, ZT_MUX_E_UNREACHABLE, "the tunnel's side ended");
	else
		maybe_free(f);
}

static void decided(struct acc_flow *f, bool final)
{
	const char *why = NULL;
	__u32 code = 0;
	int rc = decide(f, final, &code, &why);

	if (rc < 0)
		refuse(f, code, why);
	else if (rc > 0)
		go(f);
	else
		zt_timer_arm(f->c->tt->d->loop, &f->timer, f->c->tt->d->cfg.proxy_detect_ms);
}

static void on_detect_timer(struct zt_timer *tm)
{
	struct acc_flow *f = ztd_of(tm, struct acc_flow, timer);

	/* Nothing (enough) in time: a server-first protocol, unknown. */
	f->inspected = true;
	f->det.proto = ZT_PROTO_UNKNOWN;
	f->det.name[0] = 0;
	decided(f, true);
}

/* The first bytes so far: detected, or wait for more. */
static void detect(struct acc_flow *f)
{
	const __u8 *p = NULL;
	size_t n = zt_mux_peek(f->s, &p);
	int err;

	if (!n && !zt_mux_fin_seen(f->s))
		return;
	if (!zt_timer_armed(&f->timer))
		return; /* not waiting for them (they are the origin's) */
	err = zt_detect(p, n, &f->det);
	if (err == -EAGAIN && n < ZT_DETECT_MAX && !zt_mux_fin_seen(f->s))
		return;
	f->inspected = true;
	if (err) {
		f->det.proto = ZT_PROTO_UNKNOWN;
		f->det.name[0] = 0;
	}
	decided(f, true);
}

/* ---- what tunnel.c calls ---------------------------------------------------------------- */

int tun_access_hello(struct gw_conn *c, const struct zt_mux_hello *h)
{
	struct ztd_tunnels *tt = c->tt;
	char id[2 * ZT_UTOKEN_ID_LEN + 1];
	struct zt_utoken t;
	const char *why = NULL;
	unsigned same = 0;
	struct gw_conn *o;
	__u32 ga = ZT_MUX_GA_TOKEN;
	int err;

	err = tun_user_check(tt, h->cred, h->cred_len, &t, &why);
	for (o = tt->conns; !err && o; o = o->next)
		same += o->access && !memcmp(o->user->id, t.id, sizeof(t.id));
	if (!err && (tt->n_access >= TUN_ACCESS_CONNS || same >= TUN_ACCESS_PER_TOKEN)) {
		why = same >= TUN_ACCESS_PER_TOKEN ? "16 connections with this token are up" :
						       "1024 access connections are up";
		ga = ZT_MUX_GA_INTERNAL;
		err = -EUSERS;
	}
	if (!err && !(c->user = malloc(sizeof(*c->user))))
		err = -ENOMEM;
	if (err) {
		tt->access_refused++;
		if (access_say(tt))
			pr_warn("access connection from %s refused: %s%s\n", c->peer,
				ga == ZT_MUX_GA_TOKEN ? "user token " : "",
				why ? why : strerror(-err));
		zt_mux_goaway(c->t.mux, ga);
		zt_tconn_close_after_send(&c->t);
		return err;
	}
	*c->user = t;
	c->access = true;
	c->ready = true;
	c->since_ms = c->last_pong_ms = zt_mono_ms();
	zt_mux_hello(c->t.mux, ZT_MUX_ACK, NULL);
	zt_mux_set_ready(c->t.mux);
	tt->n_access++;
	tt->access_conns++;
	zt_utoken_id_str(t.id, id);
	pr_info("access connection from %s: %s (token %s)\n", c->peer, t.email, id);
	return 0;
}

int tun_access_open(struct gw_conn *c, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	struct ztd_tunnels *tt = c->tt;
	struct acc_flow *f;
	size_t i;

	struct gw_conn *o2;
	size_t mine = 0;

	/* TCP to a name or to an address, not both (the decision is for one,
	 * the connector would dial the other). */
	if (o->proto != ZT_MUX_TCP || (o->family && o->hostname[0]) ||
	    (!o->family && (!o->hostname[0] || !strcmp(o->hostname, "."))))
		return ZT_MUX_E_PROTO;
	for (o2 = tt->conns; o2; o2 = o2->next)
		if (o2->access && !memcmp(o2->user->id, c->user->id, ZT_UTOKEN_ID_LEN))
			mine += o2->n_flows;
	if (c->n_flows >= TUN_ACCESS_STREAMS || tt->n_access_flows >= TUN_ACCESS_FLOWS ||
	    mine >= TUN_ACCESS_PER_TOKEN_FLOWS) {
		tt->access_failed++;
		return ZT_MUX_E_BUSY;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return ZT_MUX_E_BUSY;
	f->c = c;
	f->s = s;
	f->o = *o;
	f->start_ms = zt_mono_ms();
	f->timer.cb = on_detect_timer;
	/* A name as the DNS server takes it: lower case, no final dot. */
	for (i = 0; f->o.hostname[i]; i++)
		f->o.hostname[i] = (char)tolower((unsigned char)f->o.hostname[i]);
	if (i && f->o.hostname[i - 1] == '.')
		f->o.hostname[i - 1] = 0;
	f->next = c->flows;
	if (c->flows)
		c->flows->prev = f;
	c->flows = f;
	c->n_flows++;
	tt->n_access_flows++;
	decided(f, false);
	return 0;
}

void tun_access_event(struct gw_conn *c, struct zt_mux_stream *s, unsigned evs)
{
	struct zt_bridge *b;
	struct acc_flow *f;

	for (f = c->flows; f && f->s != s; f = f->next)
		;
	if (!f) {
		b = zt_mux_user(s);
		if (b)
			zt_bridge_event(b, evs);
		else if (evs & ZT_MUXE_RST)
			zt_mux_release(s, ZT_MUX_E_NONE);
		return;
	}
	if (evs & ZT_MUXE_RST) {
		zt_mux_release(s, ZT_MUX_E_NONE);
		f->s = NULL;
		flow_free(f, "client_reset");
		return;
	}
	if (evs & (ZT_MUXE_DATA | ZT_MUXE_FIN))
		detect(f);
}

/* Every flow of c ended (its connection is going). */
void tun_access_down(struct gw_conn *c)
{
	struct ztd_tunnels *tt = c->tt;

	while (c->flows) {
		struct acc_flow *f = c->flows;

		if (f->s) {
			zt_mux_release(f->s, ZT_MUX_E_NONE);
			f->s = NULL;
			flow_free(f, "connection_lost");
		} else if (f->ba) {
			f->end = f->end ? f->end : "connection_lost";
			zt_bridge_abort(f->ba, ZT_MUX_E_NONE, "the access connection ended");
		} else if (f->bt) {
			zt_bridge_abort(f->bt, ZT_MUX_E_NONE, "the access connection ended");
		} else {
			flow_free(f, "connection_lost");
		}
	}
	tt->n_access--;
	free(c->user);
	c->user = NULL;
	c->access = false;
}

void tun_access_recheck(struct ztd_tunnels *tt)
{
	struct gw_conn *c;
	struct acc_flow *f, *next;

	for (c = tt->conns; c; c = c->next) {
		if (!c->access)
			continue;
		for (f = c->flows; f; f = next) {
			char was[ZT_CTL_NAME_MAX];
			struct zt_eval_result r0 = f->r;
			const char *why = NULL;
			__u32 code;
			int rc;

			next = f->next;
			if (f->s || f->revoked || (!f->ba && !f->bt))
				continue;
			memcpy(was, f->tunnel, sizeof(was));
			/* Decided by its first bytes: again by them. Not: a
			 * policy that now needs them ends it (they are gone). */
			rc = decide(f, f->inspected, &code, &why);
			if (rc > 0 && !strcmp(was, f->tunnel))
				continue;
			if (!rc)
				why = "a rule now needs its first bytes";
			pr_info("access for %s to %s:%u: no longer allowed (%s): ended\n",
				c->user->email, f->o.hostname[0] ? f->o.hostname : "(an address)",
				f->o.port, why ? why : "its route moved to another tunnel");
			memcpy(f->tunnel, was, sizeof(was));
			f->r = r0; /* logged as it was carried, ended revoked */
			f->revoked = true;
			f->end = "revoked";
			/* With the client's side up, the tunnel's first (f
			 * stays), then the client's, told why (f is freed);
			 * else the tunnel's alone (f is freed). */
			if (f->ba) {
				if (f->bt)
					zt_bridge_abort(f->bt, ZT_MUX_E_NONE, "revoked");
				zt_bridge_abort(f->ba, ZT_MUX_E_POLICY, "revoked");
			} else {
				zt_bridge_abort(f->bt, ZT_MUX_E_NONE, "revoked");
			}
		}
	}
}

void tun_access_close(struct ztd_tunnels *tt)
{
	if (tt->acc_table_ok)
		zt_dns_table_free(&tt->acc_table);
	tt->acc_table_ok = false;
}
