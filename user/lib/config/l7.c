// SPDX-License-Identifier: GPL-2.0
/* l7.c — see l7.h. */
#include "hostname.h"
#include "l7.h"

const char *zt_l7_sni_name(const struct zt_config *c, const struct zt_l7_flow *f)
{
	if (f->iri_name)
		return f->iri_name[0] ? f->iri_name : NULL;
	if (f->proto != ZT_PROTO_TLS || !f->sni || !f->sni[0])
		return NULL;
	return f->dport == 443 || c->proxy_detect_all ? f->sni : NULL;
}

bool zt_l7_match(void *arg, __u32 rule_index)
{
	const struct zt_l7_arg *a = arg;
	const struct zt_cfg_policy *p;
	size_t i;

	if (!a->name || rule_index >= a->cfg->n_policies)
		return false;
	p = &a->cfg->policies[rule_index];
	for (i = 0; i < p->n_sni; i++)
		if (zt_hostname_match(p->sni[i], a->name))
			return true;
	return false;
}
