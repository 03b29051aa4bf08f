// SPDX-License-Identifier: GPL-2.0
/* l7.c — see l7.h. */
#include "hostname.h"
#include "l7.h"

/* For a CIDR destination: the name the client sent, when it is proto's
 * and on its port (or every port). */
static const char *wire_name(const struct zt_config *c, const struct zt_l7_flow *f,
			     enum zt_proto proto, __u16 port)
{
	if (f->iri_name)
		return f->iri_name[0] ? f->iri_name : NULL;
	if (f->proto != proto || !f->name || !f->name[0])
		return NULL;
	return f->dport == port || c->proxy_detect_all ? f->name : NULL;
}

static const char *sni_name(const struct zt_config *c, const struct zt_l7_flow *f)
{
	return wire_name(c, f, ZT_PROTO_TLS, 443);
}

static const char *host_name(const struct zt_config *c, const struct zt_l7_flow *f)
{
	return wire_name(c, f, ZT_PROTO_HTTP, 80);
}

static bool any_match(char *const *pat, size_t n, const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < n; i++)
		if (zt_hostname_match(pat[i], name))
			return true;
	return false;
}

bool zt_l7_match(void *arg, __u32 rule_index)
{
	const struct zt_l7_arg *a = arg;
	const struct zt_cfg_policy *p;

	if (rule_index >= a->cfg->n_policies)
		return false;
	p = &a->cfg->policies[rule_index];
	if (p->n_sni && !any_match(p->sni, p->n_sni, sni_name(a->cfg, a->flow)))
		return false;
	if (p->n_hosts && !any_match(p->hosts, p->n_hosts, host_name(a->cfg, a->flow)))
		return false;
	return !p->detected || (p->detected & (1u << a->flow->proto));
}
