// SPDX-License-Identifier: GPL-2.0
/* fuzz_ctl — libFuzzer harness for the control socket's messages: any
 * bytes as a reply header and a STATUS, RELOAD or PROXY_LIST body; what
 * parses must put back the same bytes (nothing was read that the struct
 * does not hold, nothing held that was not read). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zt_ctl_status s;
	static struct zt_ctl_proxy_page p;
	static uint8_t again[ZT_CTL_MAX_REPLY];
	struct zt_ctl_reload r;
	struct zt_ctl_hdr h;
	struct zt_buf b, w;

	zt_buf_init(&b, (void *)data, size);
	if (zt_ctl_hdr_get(&b, &h))
		return 0;
	zt_buf_init(&b, (void *)(data + 8), size - 8);
	if (!zt_ctl_status_get(&b, &s)) {
		zt_buf_init(&w, again, sizeof(again));
		zt_ctl_status_put(&w, &s);
		if (w.err || w.off != size - 8 || memcmp(again, data + 8, w.off))
			abort();
	}
	zt_buf_init(&b, (void *)(data + 8), size - 8);
	if (!zt_ctl_proxy_page_get(&b, &p)) {
		zt_buf_init(&w, again, sizeof(again));
		zt_ctl_proxy_page_put(&w, &p);
		if (w.err || w.off != size - 8 || memcmp(again, data + 8, w.off))
			abort();
	}
	zt_buf_init(&b, (void *)(data + 8), size - 8);
	if (!zt_ctl_reload_get(&b, &r) && size != 12)
		abort();
	return 0;
}
