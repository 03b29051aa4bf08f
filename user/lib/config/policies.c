// SPDX-License-Identifier: GPL-2.0
/* policies.c — the network_policies and dns_policies sections: one list
 * reader for both, each with its own match selectors. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cfg_int.h"
#include "detect.h"
#include "hostname.h"

static void m_dst(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	struct zt_prefix pf;

	if (!cfg_parse_prefix(x, n, "dst_ip", false, &pf) ||
	    cfg_grow(x, (void **)&p->dst, p->n_dst, sizeof(pf)))
		return;
	p->dst[p->n_dst++] = pf;
}

static void m_port(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	struct zt_port_range r;

	if (!cfg_parse_port_range(x, n, "dst_port", 1, &r.lo, &r.hi) ||
	    cfg_grow(x, (void **)&p->ports, p->n_ports, sizeof(*p->ports)))
		return;
	p->ports[p->n_ports++] = r;
}

static void m_proto(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = cfg_scalar(x, n, "protocol");

	if (!s)
		return;
	if (!strcasecmp(s, "tcp"))
		p->protos |= 1u << ZT_PC_TCP;
	else if (!strcasecmp(s, "udp"))
		p->protos |= 1u << ZT_PC_UDP;
	else if (!strcasecmp(s, "icmp"))
		p->protos |= 1u << ZT_PC_ICMP;
	else
		cfg_errf(x, n, "protocol must be tcp, udp or icmp, not '%s'", s);
}

static void m_email(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = cfg_scalar(x, n, "user_email");
	__u32 u;

	if (!s)
		return;
	if (!cfg_valid_email(s)) {
		cfg_errf(x, n, "'%s' is not an email address", s);
		return;
	}
	if (!(u = cfg_intern_user(x, s)) ||
	    cfg_grow(x, (void **)&p->users, p->n_users, sizeof(*p->users)))
		return;
	p->users[p->n_users++] = u;
}

static void m_group(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = cfg_scalar(x, n, "user_group");

	if (s)
		cfg_intern_group(x, n, s, &p->groups);
}

static void m_vnet(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	__u32 v = cfg_find_vnet(x, n);

	if (!v || cfg_grow(x, (void **)&p->vnets, p->n_vnets, sizeof(*p->vnets)))
		return;
	p->vnets[p->n_vnets++] = v;
}

/* sni and host patterns alike: to an IRI the kernel matches both against
 * the IRI's name (policy.h), so both are stored as hostname patterns. */
static void m_names(struct cx *x, yaml_node_t *n, const char *what, char ***v, size_t *nv)
{
	char host[ZT_HOSTNAME_MAX + 1], *d;

	if (!cfg_parse_host(x, n, what, host))
		return;
	if (!(d = cfg_strdup(x, host)) || cfg_grow(x, (void **)v, *nv, sizeof(**v))) {
		free(d);
		return;
	}
	(*v)[(*nv)++] = d;
}

static void m_sni(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;

	m_names(x, n, "sni", &p->sni, &p->n_sni);
}

static void m_detected(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = cfg_scalar(x, n, "detected_protocol");
	int d;

	if (!s)
		return;
	d = zt_l7_proto_parse(s);
	if (d < 0)
		cfg_errf(x, n, "detected_protocol must be tls, http, ssh or unknown, not '%s'", s);
	else
		p->detected |= (__u8)(1u << d);
}

static void m_host(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;

	m_names(x, n, "host", &p->hosts, &p->n_hosts);
}

static bool has_port(const struct zt_cfg_policy *p, __u16 port)
{
	size_t i;

	for (i = 0; i < p->n_ports; i++)
		if (p->ports[i].lo <= port && port <= p->ports[i].hi)
			return true;
	return !p->n_ports;
}

/* With dst_ip a rule is for CIDR destinations alone, where sni is the
 * TLS SNI on 443 and host the HTTP Host on 80 (gateway parsed first:
 * detect_all_ports known): a rule none of whose flows can carry the name
 * would match nothing, and a block that blocks nothing is an error. */
static void never_matches(struct cx *x, yaml_node_t *m, const struct zt_cfg_policy *p)
{
	bool all = x->c->proxy_detect_all;

	if (!p->n_dst)
		return;
	if (p->n_sni && p->n_hosts)
		cfg_errf(x, m, "with dst_ip, sni (the TLS SNI) and host (the HTTP Host) cannot "
			 "both match one flow: this rule would match nothing; split it");
	else if (p->n_sni && !all && !has_port(p, 443))
		cfg_errf(x, m, "sni counts on port 443 only for a dst_ip (gateway.proxy."
			 "detect_all_ports is false): this rule would match nothing");
	else if (p->n_hosts && !all && !has_port(p, 80))
		cfg_errf(x, m, "host with dst_ip is the HTTP Host, on port 80 only (gateway.proxy."
			 "detect_all_ports is false): this rule would match nothing");
}

void cfg_policy_free(struct zt_cfg_policy *p)
{
	size_t k;

	free(p->name);
	free(p->dst);
	free(p->ports);
	free(p->users);
	free(p->vnets);
	for (k = 0; k < p->n_sni; k++)
		free(p->sni[k]);
	free(p->sni);
	for (k = 0; k < p->n_hosts; k++)
		free(p->hosts[k]);
	free(p->hosts);
}

/* What differs between the network and the DNS policy lists. */
struct plist {
	const char *section, *kind, *plural;
	const char *const *mkeys;
	const item_fn *fns;
	const char *empty_hint;
	struct zt_cfg_policy **arr;
	size_t *n;
	int **lines;
};

static void policy_list(struct cx *x, yaml_node_t *l, const struct plist *pl)
{
	static const char *const keys[] = { "name", "precedence", "action", "match",
					    "comment", NULL };
	yaml_node_item_t *i;
	size_t j, k;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, l, "%s must be a list", pl->section);
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = cfg_node(x, *i), *n, *m;
		struct zt_cfg_policy p = { 0 };
		const char *name = NULL;
		unsigned long prec = 0;
		bool ok = true;

		if (!cfg_is_map(x, v, pl->kind))
			continue;
		cfg_check_keys(x, v, pl->kind, keys);
		if (!(n = cfg_get(x, v, "name")) || !(name = cfg_scalar(x, n, "name"))) {
			if (!n)
				cfg_errf(x, v, "%s without a name", pl->kind);
			ok = false;
		} else {
			for (j = 0; j < *pl->n; j++)
				if (!strcmp((*pl->arr)[j].name, name)) {
					cfg_errf(x, n, "policy name '%s' used twice (first at "
						 "line %d)", name, (*pl->lines)[j]);
					ok = false;
				}
		}
		if (!(n = cfg_get(x, v, "precedence"))) {
			cfg_errf(x, v, "%s without a precedence (lower decides first)", pl->kind);
			ok = false;
		} else if (!cfg_parse_uint(x, n, "precedence", 0, INT_MAX, &prec)) {
			ok = false;
		} else {
			for (j = 0; j < *pl->n; j++)
				if ((*pl->arr)[j].precedence == prec) {
					cfg_errf(x, n, "precedence %lu is already used by policy "
						 "'%s' (line %d)", prec, (*pl->arr)[j].name,
						 (*pl->lines)[j]);
					ok = false;
				}
		}
		if (!(n = cfg_get(x, v, "action"))) {
			cfg_errf(x, v, "%s without an action (allow or block)", pl->kind);
			ok = false;
		} else {
			size_t before = x->e->n + x->e->dropped;

			cfg_parse_action(x, n, "action", &p.action);
			ok &= x->e->n + x->e->dropped == before;
		}
		m = cfg_get(x, v, "match");
		if (!m) {
			cfg_errf(x, v, "%s without a match", pl->kind);
			ok = false;
		} else if (cfg_is_map(x, m, "match")) {
			size_t before = x->e->n + x->e->dropped;

			cfg_check_keys(x, m, "match", pl->mkeys);
			if (m->data.mapping.pairs.top == m->data.mapping.pairs.start)
				cfg_errf(x, m, "match is empty: a rule without selectors would "
					 "match everything; %s", pl->empty_hint);
			for (k = 0; pl->mkeys[k]; k++)
				cfg_each(x, cfg_get(x, m, pl->mkeys[k]), pl->mkeys[k], pl->fns[k],
					 &p);
			if (p.n_dst && p.n_hosts && !(p.detected & (1u << ZT_PROTO_HTTP)))
				cfg_errf(x, m, "dst_ip and host cannot be combined in one rule: a "
					 "hostname route's traffic is selected by host, a CIDR "
					 "route's by dst_ip (with detected_protocol: http, host is "
					 "the HTTP Host at those addresses)");
			if ((p.n_sni || p.detected) && p.protos && !(p.protos & (1u << ZT_PC_TCP)))
				cfg_errf(x, m, "sni and detected_protocol match TCP only (the proxy "
					 "takes TCP): add protocol: tcp or drop them");
			never_matches(x, m, &p);
			ok &= x->e->n + x->e->dropped == before;
		} else {
			ok = false;
		}
		if (*pl->n == ZT_MAX_RULES) {
			cfg_errf(x, v, "too many %s: at most %d", pl->plural, ZT_MAX_RULES);
			ok = false;
		}
		if (!ok) {
			cfg_policy_free(&p);
			continue;
		}
		p.precedence = (__u32)prec;
		if (!(p.name = cfg_strdup(x, name)) ||
		    cfg_grow(x, (void **)pl->arr, *pl->n, sizeof(p)) ||
		    cfg_grow(x, (void **)pl->lines, *pl->n, sizeof(int))) {
			cfg_policy_free(&p);
			return;
		}
		(*pl->lines)[*pl->n] = cfg_line_of(x, v);
		(*pl->arr)[(*pl->n)++] = p;
	}
}

void cfg_policies(struct cx *x, yaml_node_t *l)
{
	static const char *const mkeys[] = { "dst_ip", "dst_port", "protocol", "user_email",
					     "user_group", "vnet", "sni", "host",
					     "detected_protocol", NULL };
	static const item_fn fns[] = { m_dst, m_port, m_proto, m_email, m_group, m_vnet,
				       m_sni, m_host, m_detected };
	const struct plist pl = {
		"network_policies", "network policy", "network policies", mkeys, fns,
		"say dst_ip: [0.0.0.0/0, ::/0] if that is meant",
		&x->c->policies, &x->c->n_policies, &x->policy_line,
	};

	policy_list(x, l, &pl);
}

void cfg_dns_policies(struct cx *x, yaml_node_t *l)
{
	static const char *const mkeys[] = { "host", "user_email", "user_group", NULL };
	static const item_fn fns[] = { m_host, m_email, m_group };
	const struct plist pl = {
		"dns_policies", "DNS policy", "DNS policies", mkeys, fns,
		"name the hosts it is for",
		&x->c->dns_policies, &x->c->n_dns_policies, &x->dns_policy_line,
	};

	policy_list(x, l, &pl);
}
