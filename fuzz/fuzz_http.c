// SPDX-License-Identifier: GPL-2.0
/* fuzz_http — libFuzzer harness for the HTTP request-head reader and the
 * detector that chooses it: any bytes as a stream's start, whole and cut
 * short at every length a client could have paused at. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zt_http_head h;
	struct zt_detected d;
	size_t cut;

	if (!zt_http_read_head(data, size, &h) &&
	    (h.consumed > size || strlen(h.host) > ZT_HOSTNAME_MAX))
		__builtin_trap();
	if (!zt_detect(data, size, &d) && d.proto >= ZT_PROTO_MAX)
		__builtin_trap();
	for (cut = 1; cut < size && cut < 64; cut++)
		zt_http_read_head(data, cut, &h);
	return 0;
}
