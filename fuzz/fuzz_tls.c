// SPDX-License-Identifier: GPL-2.0
/* fuzz_tls — libFuzzer harness for the ClientHello reader: any bytes as
 * the start of a stream, whole and at every record boundary a client
 * could have paused at (the reader is asked again with more, as the
 * proxy will). ASan and UBSan catch what a test would miss. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zt_tls_hello h;
	size_t cut;

	if (!zt_tls_read_hello(data, size, &h) && (strlen(h.sni) > ZT_TLS_NAME_MAX ||
						   h.consumed > size))
		__builtin_trap();
	for (cut = 1; cut < size && cut < 64; cut++)
		zt_tls_read_hello(data, cut, &h);
	return 0;
}
