/*
 * pfh-load - load generator for saslauthd (mux and Dovecot protocol),
 * policy and socketmap servers
 *
 * Usage: see usage() below and bench/README.md.
 *
 * Contract: parses the command line, builds every request once
 *   (load_proto.c), runs the client engine (load_client.c) or the constant
 *   server (load_serve.c), and prints two lines on stdout: one for people,
 *   one of key=value pairs for scripts. Errors in detail go to stderr.
 * Exit status: 0 = every request got a matching reply; 1 = at least one
 *   error or mismatch, or no reply at all; 2 = bad usage or setup.
 */
#include "sysdep.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "log.h"

#include "load.h"

#define DEFAULT_DURATION	5.0
#define DEFAULT_TIMEOUT_MS	10000
#define DEFAULT_SHOW		5

/* The request used when neither -f nor -r names any. */
static const char *const default_spec[] = {
	[LOAD_SASL] = "test test smtp -",
	/* one fingerprint split over two lines; the parentheses say so to clang */
	[LOAD_POLICY] = ("0B:E7:19:30:A4:1C:E9:2C:D8:33:81:8F:2B:FC:AE:BF:"
	    "13:B4:77:F0:69:82:8B:1E:72:51:5E:49:28:30:39:59"),
	[LOAD_SOCKETMAP] = "tlspolicy example.com",
	[LOAD_DOVECOT] = "test test smtp 127.0.0.1",
};

/* usage - print the synopsis and exit 2 */
static void PFH_NORETURN
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "pfh-load: %s\n", why);
	fprintf(stderr,
	    "usage: pfh-load -p sasl|policy|socketmap|dovecot [-c conns] [-t seconds | -n count]\n"
	    "                [-w warmup] [-f specfile] [-r spec ...] [-T timeout_ms]\n"
	    "                [-e shown_errors] [-A client_addr] [-L label] [-q] endpoint\n"
	    "       pfh-load -p sasl|policy|socketmap|dovecot --serve-constant [-a answer] endpoint\n"
	    "endpoint: unix:/path or inet:host:port (saslauthd: the mux socket path)\n"
	    "spec lines (\"-\" = empty field; EXPECTED = prefix of the answer):\n"
	    "  sasl       USER PASSWORD SERVICE REALM [EXPECTED]\n"
	    "  policy     FINGERPRINT [SENDER] [EXPECTED-ACTION]\n"
	    "  socketmap  MAPNAME KEY [EXPECTED-REPLY]\n"
	    "  dovecot    USER PASSWORD SERVICE RIP [OK|FAIL]\n");
	exit(2);
}

/* parse_num - a non-negative number, or usage() */
static double
parse_num(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s: not a number: %s", what, s);
		usage(why);
	}
	return v;
}

/* ms - microseconds as milliseconds for people */
static double
ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* print_result - the human line and the machine line */
static void
print_result(const struct load_opts *o, const struct load_result *r,
    const char *label, int quiet)
{
	char ep[300];
	double rps = r->elapsed > 0 ? (double)r->replies / r->elapsed : 0;
	uint64_t p50 = stats_hist_quantile(&r->hist, 0.50);
	uint64_t p99 = stats_hist_quantile(&r->hist, 0.99);
	uint64_t errs = load_result_errors(r);

	endpoint_str(&o->ep, ep, sizeof(ep));
	if (!quiet)
		printf("%s%s%s %s: %u conns, %.2f s: %llu replies, %.0f req/s, "
		    "p50 %.3f ms, p99 %.3f ms, max %.3f ms, %llu errors "
		    "(%llu mismatch, %llu I/O, %llu protocol, %llu timeout)%s\n",
		    label ? label : "", label ? ": " : "",
		    load_proto_name(o->proto), ep, o->conns, r->elapsed,
		    (unsigned long long)r->replies, rps, ms(p50), ms(p99),
		    ms(r->max_us), (unsigned long long)errs,
		    (unsigned long long)r->mismatch,
		    (unsigned long long)r->io_errors,
		    (unsigned long long)r->proto_errors,
		    (unsigned long long)r->timeouts,
		    r->interrupted ? " [interrupted]" : "");
	printf("label=%s proto=%s conns=%u elapsed=%.3f replies=%llu ok=%llu "
	    "rps=%.1f p50_us=%llu p99_us=%llu max_us=%llu errors=%llu "
	    "mismatch=%llu io_errors=%llu proto_errors=%llu timeouts=%llu "
	    "connects=%llu retries=%llu\n",
	    label ? label : "-", load_proto_name(o->proto), o->conns,
	    r->elapsed, (unsigned long long)r->replies,
	    (unsigned long long)r->ok, rps, (unsigned long long)p50,
	    (unsigned long long)p99, (unsigned long long)r->max_us,
	    (unsigned long long)errs, (unsigned long long)r->mismatch,
	    (unsigned long long)r->io_errors,
	    (unsigned long long)r->proto_errors,
	    (unsigned long long)r->timeouts, (unsigned long long)r->connects,
	    (unsigned long long)r->retries);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "serve-constant", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_opts o;
	struct load_build b;
	struct load_specs specs;
	struct load_result r;
	const char *proto = NULL, *file = NULL, *label = NULL, *answer = NULL;
	const char **inline_specs;
	char err[512];
	size_t ninline = 0, i;
	int ch, serve = 0, quiet = 0, have_t = 0, have_n = 0, status;

	log_init("pfh-load", LOG_TO_STDERR, "mail");
	memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	o.conns = 1;
	o.timeout_ms = DEFAULT_TIMEOUT_MS;
	o.show = DEFAULT_SHOW;
	inline_specs = calloc((size_t)argc, sizeof(*inline_specs));
	if (inline_specs == NULL)
		log_fatal("out of memory");

	while ((ch = getopt_long(argc, argv, "A:a:c:e:f:hL:n:p:qr:St:T:w:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			b.sasl_client_addr = optarg;
			break;
		case 'a':
			answer = optarg;
			break;
		case 'c':
			o.conns = (unsigned)parse_num(optarg, "-c");
			if (o.conns < 1 || o.conns > 100000)
				usage("-c: 1 to 100000 connections");
			break;
		case 'e':
			o.show = (unsigned)parse_num(optarg, "-e");
			break;
		case 'f':
			file = optarg;
			break;
		case 'L':
			if (strpbrk(optarg, " \t\n=") != NULL)
				usage("-L: the label may not contain blanks or '='");
			label = optarg;
			break;
		case 'n':
			o.count = (uint64_t)parse_num(optarg, "-n");
			have_n = 1;
			break;
		case 'p':
			proto = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			inline_specs[ninline++] = optarg;
			break;
		case 'S':
			serve = 1;
			break;
		case 't':
			o.duration = parse_num(optarg, "-t");
			if (o.duration <= 0)
				usage("-t: the duration must be positive");
			have_t = 1;
			break;
		case 'T':
			o.timeout_ms = (unsigned)parse_num(optarg, "-T");
			if (o.timeout_ms < 1)
				usage("-T: the timeout must be at least 1 ms");
			break;
		case 'w':
			o.warmup = parse_num(optarg, "-w");
			break;
		case 'h':
		default:
			usage(NULL);
		}
	}
	if (proto == NULL)
		usage("-p is required");
	if (load_proto_parse(proto, &o.proto) < 0)
		usage("-p: sasl, policy, socketmap or dovecot");
	if (optind != argc - 1)
		usage("one endpoint, please");
	if (endpoint_parse(argv[optind], &o.ep, err, sizeof(err)) < 0) {
		char why[600];

		snprintf(why, sizeof(why), "%s: %s", argv[optind], err);
		usage(why);
	}

	if (serve) {
		struct load_serve_opts so = { o.proto, o.ep, answer };

		free(inline_specs);
		return load_serve(&so);
	}
	if (answer != NULL)
		usage("-a goes with --serve-constant");
	if (have_t && have_n)
		usage("-t or -n, not both");
	if (!have_t && !have_n)
		o.duration = DEFAULT_DURATION;
	if (o.warmup > 0 && !have_t)
		usage("-w goes with -t");

	load_specs_init(&specs);
	if (file != NULL &&
	    load_specs_read(&specs, o.proto, &b, file, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	for (i = 0; i < ninline; i++)
		if (load_spec_add(&specs, o.proto, &b, inline_specs[i], err,
		    sizeof(err)) < 0)
			log_fatal("-r \"%s\": %s", o.proto == LOAD_SASL ||
			    o.proto == LOAD_DOVECOT ?
			    "(sasl spec)" : inline_specs[i], err);
	free(inline_specs);
	if (specs.n == 0 && load_spec_add(&specs, o.proto, &b,
	    default_spec[o.proto], err, sizeof(err)) < 0)
		log_panic("default spec: %s", err);
	o.specs = &specs;

	if (load_run(&o, &r) < 0) {
		load_specs_free(&specs);
		return 2;
	}
	print_result(&o, &r, label, quiet);
	status = load_result_errors(&r) > 0 || r.replies == 0 ? 1 : 0;
	load_specs_free(&specs);
	return status;
}
