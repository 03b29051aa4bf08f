// SPDX-License-Identifier: GPL-2.0
/* fuzz_pxmsg — libFuzzer harness for the messages ztd reads from its
 * proxy workers (pxmsg.h): any bytes as a body, and as a hand-over's; what
 * parses is put again and must read back the same (a value that passed
 * the get is one the put can say, and ztd acts on nothing else). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pxmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zt_pxm m, again;
	static uint8_t out[ZT_PXM_MAX];
	struct zt_buf b;

	static uint8_t hout[ZT_PXM_HAND_MAX];
	struct zt_pxm_hand h;

	zt_buf_init(&b, (uint8_t *)data, size);
	if (!zt_pxm_hand_get(&b, &h)) {
		if (h.len > ZT_DETECT_MAX || h.bytes + h.len != data + size)
			__builtin_trap();
		zt_buf_init(&b, hout, sizeof(hout));
		zt_pxm_hand_put(&b, &h);
		if (b.err || b.off != size || memcmp(hout, data, size))
			__builtin_trap();
	}
	zt_buf_init(&b, (uint8_t *)data, size);
	if (zt_pxm_get(&b, &m))
		return 0;
	zt_buf_init(&b, out, sizeof(out));
	zt_pxm_put(&b, &m);
	if (b.err || b.off != size || memcmp(out, data, size))
		__builtin_trap();
	zt_buf_init(&b, out, size);
	if (zt_pxm_get(&b, &again) || memcmp(&m, &again, sizeof(m)))
		__builtin_trap();
	return 0;
}
