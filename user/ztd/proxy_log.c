// SPDX-License-Identifier: GPL-2.0
/* proxy_log.c — a proxied flow's line in the network log, when it ends:
 * who, where, what was detected, the rule and verdict, bytes each way,
 * how long and how it ended. Fields: docs/proxy.md. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include "clock.h"
#include "log.h"
#include "names.h"
#include "proxy_int.h"

static const char *why_name(enum zt_detect_why w)
{
	static const char *const n[] = { "ok", "other", "malformed", "too_big" };

	return (unsigned)w < 4 ? n[w] : "?";
}

void proxy_names(const struct pconn *c, struct px_names *n)
{
	const struct ztd *d = c->px->d;
	const struct zt_cfg_device *dev = c->r.device_id && c->r.device_id <= d->cfg.n_devices ?
					  &d->cfg.devices[c->r.device_id - 1] : NULL;

	n->iface = zt_name(&d->names, ZT_N_IFACE, c->ifindex);
	n->device = zt_name(&d->names, ZT_N_DEVICE, c->r.device_id);
	n->user = dev ? zt_name(&d->names, ZT_N_USER, dev->user) : NULL;
	n->rule = c->r.rule_id ? zt_name(&d->names, ZT_N_RULE, c->r.rule_id) : "";
}

/* A client's share of the refused lines a second: a quarter of the
 * budget (at least one), so that one client refused again and again does
 * not hide the others' refusals. The table counts the second's lines, at
 * most PX_LOG_LINES_MAX: a larger budget is cut to it (and without memory
 * for the table the budget alone holds). */
#define PX_LOG_LINES_MAX 65536

static bool client_may_log(struct ztd_proxy *px, const struct pconn *c, __u32 budget,
			   __u64 now)
{
	size_t max = budget < PX_LOG_LINES_MAX ? budget : PX_LOG_LINES_MAX;

	if (!budget)
		return false;
	if (px->log_share.max != max) {
		zt_share_free(&px->log_share);
		if (zt_share_init(&px->log_share, max))
			return true;
		px->log_sec = now / 1000;
	}
	if (now / 1000 != px->log_sec) {
		zt_share_clear(&px->log_share);
		px->log_sec = now / 1000;
	}
	/* -EDQUOT: its share is used; -ENOSPC: the second's lines are. */
	return !zt_share_take(&px->log_share, c->family, c->src, budget >= 4 ? budget / 4 : 1);
}

void proxy_log(const struct pconn *c)
{
	const struct ztd *d = c->px->d;
	FILE *f = d->netlog;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], t[64];
	int af = c->family == ZT_AF_INET ? AF_INET : AF_INET6;
	__u64 now = zt_mono_ms();
	struct px_names n;

	if (!f)
		return;
	if (c->end == ZT_PXE_BLOCKED || c->end == ZT_PXE_NO_TUNNEL ||
	    c->end == ZT_PXE_UPSTREAM) {
		/* Refused, nothing relayed: a client refused again and again
		 * writes a line each time, so past the rate they are counted
		 * and the disk is not its. A flow that carried bytes (ended,
		 * reset, revoked) is always written. */
		struct ztd_proxy *px = c->px;

		if (!client_may_log(px, c, d->cfg.proxy_blocked_logs, now) ||
		    !zt_rate_ok(&px->log_rate, d->cfg.proxy_blocked_logs, now, NULL)) {
			px->st.log_suppressed++;
			return;
		}
	}
	proxy_names(c, &n);
	inet_ntop(af, c->src, src, sizeof(src));
	inet_ntop(af, c->dst, dst, sizeof(dst));
	fprintf(f, "{\"time\":\"%s\",\"kind\":\"proxy\",\"interface\":",
		zt_log_time(t, sizeof(t), (long long)zt_clock_ns(CLOCK_REALTIME)));
	zt_json_str(f, n.iface);
	fprintf(f, ",\"device\":");
	zt_json_str(f, n.device);
	fprintf(f, ",\"user_email\":");
	zt_json_str(f, n.user);
	fprintf(f, ",\"src\":\"%s\",\"dst\":\"%s\",\"protocol\":\"tcp\",\"src_port\":%u,"
		"\"dst_port\":%u,\"hostname\":", src, dst, c->sport, c->dport);
	zt_json_str(f, c->iri ? c->iri_name : NULL);
	fprintf(f, ",\"detected_protocol\":\"%s\",\"detection\":\"%s\",\"sni\":",
		c->decided && c->found ? zt_l7_proto_name(c->det.proto) : "",
		why_name(c->det.why));
	zt_json_str(f, c->det.proto == ZT_PROTO_TLS ? c->det.name : NULL);
	fprintf(f, ",\"ech\":%s,\"http_host\":", c->det.ech ? "true" : "false");
	zt_json_str(f, c->det.proto == ZT_PROTO_HTTP ? c->det.name : NULL);
	fprintf(f, ",\"sni_mismatch\":%s,\"tunnel\":",
		c->iri && c->det.proto == ZT_PROTO_TLS && c->det.name[0] &&
				strcmp(c->det.name, c->iri_name) ? "true" : "false");
	zt_json_str(f, c->tunnel);
	fprintf(f, ",\"rule\":");
	zt_json_str(f, n.rule);
	fprintf(f, ",\"rule_id\":%u,\"action\":\"%s\",\"reason\":\"%s\",\"bytes_up\":%llu,"
		"\"bytes_down\":%llu,\"duration_ms\":%llu,\"end\":\"%s\",\"generation\":%u}\n",
		c->r.rule_id, c->decided ? zt_verdict_name(c->r.verdict) : "none",
		c->decided ? zt_reason_name(c->r.reason) : "none",
		(unsigned long long)c->up_bytes, (unsigned long long)c->down_bytes,
		(unsigned long long)(now - c->start_ms), zt_px_end_name(c->end), d->generation);
}
