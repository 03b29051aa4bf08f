// SPDX-License-Identifier: GPL-2.0
/* fuzz_dns — libFuzzer harness for the DNS codec: any bytes as a query
 * (and, when one parses, its reply written at every size limit), as an
 * upstream answer to relay, and as a DNS over TCP stream whose messages
 * are queued again as answers. ASan and UBSan catch what a test would
 * miss. */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include "dns.h"
#include "dnstcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct zt_dns_rr rr = { .type = ZT_DNS_T_A, .ttl = 30, .rdlen = 4,
					     .rdata = { 100, 80, 0, 1 } };
	struct zt_dns_reply r = { .rcode = ZT_DNS_NOERROR, .an = &rr, .n_an = 1, .ede = 15,
				  .ede_text = "blocked by DNS policy 'x'" };
	struct zt_dns_query q, base;
	static uint8_t out[ZT_DNS_TCP_MAX];
	char tb[16];
	int err = zt_dns_parse_query(data, size, &q);

	if (!err || (err != -ENOMSG && !q.qname_len))
		r.n_an = err ? 0 : 1;
	if (err != -ENOMSG) {
		zt_dns_write_reply(&q, &r, out, zt_dns_udp_limit(&q));
		zt_dns_write_reply(&q, &r, out, ZT_DNS_HDR + 20);
		zt_dns_write_query(&q, 7, out, sizeof(out));
		zt_dns_type_name(q.qtype, tb, sizeof(tb));
	}
	/* The same bytes as an upstream's answer to a fixed question. */
	memset(&base, 0, sizeof(base));
	base.qname_len = (size_t)zt_dns_name_to_wire("www.example.com", base.qname,
						      sizeof(base.qname));
	base.qtype = ZT_DNS_T_A;
	base.qclass = ZT_DNS_C_IN;
	zt_dns_match_response(data, size, &base, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0);
	zt_dns_relay(data, size, &base, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0, out,
		     512);
	{
		uint8_t addrs[4][16];
		uint32_t ttl;

		zt_dns_addrs(data, size, &base, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0,
			     addrs, 4, &ttl);
	}
	/* The same bytes as what a TCP client sent: each whole message taken
	 * out (and parsed) and queued back behind its length, within a bound
	 * some will pass. */
	{
		struct zt_dns_tcp_out o = { 0 };
		const uint8_t *msg;
		size_t off = 0, mlen;

		while (zt_dns_tcp_next(data, size, &off, &msg, &mlen) == 1) {
			zt_dns_parse_query(msg, mlen, &q);
			zt_dns_tcp_put(&o, msg, mlen, 4096);
		}
		zt_dns_tcp_sent(&o, o.len / 2);
		zt_dns_tcp_out_free(&o);
	}
	return 0;
}
