// SPDX-License-Identifier: GPL-2.0
/* fuzz_ssh — libFuzzer harness for the SSH identification-line reader:
 * any bytes as a stream's start, whole and cut short. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ssh_banner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zt_ssh_banner s;
	size_t cut;

	if (!zt_ssh_read_banner(data, size, &s) &&
	    (s.consumed > size || s.consumed > ZT_SSH_BANNER_MAX ||
	     strlen(s.software) >= s.consumed))
		__builtin_trap();
	for (cut = 1; cut < size && cut < 64; cut++)
		zt_ssh_read_banner(data, cut, &s);
	return 0;
}
