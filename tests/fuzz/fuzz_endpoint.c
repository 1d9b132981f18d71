/*
 * fuzz_endpoint.c - fuzz harness for endpoint strings (common/endpoint.c)
 *
 * The input, up to its first NUL, is one endpoint as it appears in a
 * daemon's config file or on its command line (admin input). Invariants:
 *   - nothing crashes or reads outside the string;
 *   - a refusal gives a non-empty reason;
 *   - a unix endpoint has an absolute path that fits sun_path; an inet one
 *     a non-empty host (no ':' unless it came in brackets) and a port
 *     1-65535;
 *   - endpoint_str() of a parsed endpoint parses back to the same
 *     endpoint (it is what status pages and logs print, and what an admin
 *     copies back into a config), and prints the same again.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "fuzz.h"

const char fuzz_seed_dir[] = "endpoint";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = fuzz_cstr(data, len), err[256], out[512], out2[512];
	struct endpoint ep, ep2;

	fuzz_input(data, len);
	err[0] = 0;
	if (endpoint_parse(s, &ep, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0);
		free(s);
		return 0;
	}
	if (ep.kind == ENDPOINT_UNIX) {
		FUZZ_CHECK(ep.path[0] == '/');
		FUZZ_CHECK(strnlen(ep.path, sizeof(ep.path)) < sizeof(ep.path));
	} else {
		FUZZ_CHECK(ep.kind == ENDPOINT_INET);
		FUZZ_CHECK(ep.host[0] != 0);
		FUZZ_CHECK(strnlen(ep.host, sizeof(ep.host)) < sizeof(ep.host));
		FUZZ_CHECK(strchr(ep.host, ':') == NULL ||
		    strchr(s, '[') != NULL);
		FUZZ_CHECK(ep.port >= 1 && ep.port <= 65535);
	}
	endpoint_str(&ep, out, sizeof(out));
	err[0] = 0;
	if (endpoint_parse(out, &ep2, err, sizeof(err)) < 0)
		fuzz_fail(__FILE__, __LINE__, err);
	FUZZ_CHECK(ep2.kind == ep.kind && ep2.port == ep.port);
	FUZZ_CHECK(strcmp(ep2.path, ep.path) == 0);
	FUZZ_CHECK(strcmp(ep2.host, ep.host) == 0);
	endpoint_str(&ep2, out2, sizeof(out2));
	FUZZ_CHECK(strcmp(out, out2) == 0);
	free(s);
	return 0;
}
