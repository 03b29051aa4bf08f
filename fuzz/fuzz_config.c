// SPDX-License-Identifier: GPL-2.0
/* fuzz_config — libFuzzer harness for the YAML configurations: any bytes
 * as ztd's config file, and as ztconnector's; errors must be reported,
 * never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zt_config c;
	struct zt_cfg_errors e;

	struct zt_connector_cfg k;

	if (!zt_config_parse("fuzz.yaml", (const char *)data, size, &c, &e))
		zt_config_free(&c);
	zt_cfg_errors_free(&e);
	if (!zt_connector_cfg_parse("fuzz.yaml", (const char *)data, size, &k, &e))
		zt_connector_cfg_free(&k);
	zt_cfg_errors_free(&e);
	return 0;
}
