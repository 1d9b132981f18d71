/*
 * sasl_passwd.c - saslauthd-lite-passwd: print a pwfile line
 *
 * Usage: saslauthd-lite-passwd [-m yescrypt|sha512crypt|sha256crypt|bcrypt]
 *        [-c cost] user
 * Reads the password twice from the terminal (echo off), or once from
 * stdin, and prints "user:hash" with a fresh random salt from libxcrypt
 * (crypt_gensalt_rn, cost 0 = libxcrypt's default). Exit 0, or 1 on error.
 */
#include "sysdep.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sasl_readpw.h"
#include "secret.h"

static const struct {
	const char *name, *prefix;
} methods[] = {
	{"yescrypt", "$y$"},
	{"sha512crypt", "$6$"},
	{"sha256crypt", "$5$"},
	{"bcrypt", "$2b$"},
};

/* usage - and exit */
static void
usage(void)
{
	fprintf(stderr, "usage: saslauthd-lite-passwd [-m yescrypt|"
	    "sha512crypt|sha256crypt|bcrypt] [-c cost] user\n"
	    "  The password is read from the terminal (twice) or from stdin;"
	    "\n  the output is a line for the saslauthd-lite pwfile.\n");
	exit(1);
}

/* main - read, hash, print */
int
main(int argc, char **argv)
{
	char pw[1024], again[1024], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *prefix = "$y$", *user;
	struct crypt_data *cd;
	unsigned long cost = 0;
	ssize_t n;
	size_t i;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "c:m:h")) != -1) {
		switch (ch) {
		case 'c':
			cost = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			for (i = 0; i < nitems(methods); i++)
				if (strcmp(optarg, methods[i].name) == 0)
					break;
			if (i == nitems(methods)) {
				fprintf(stderr, "saslauthd-lite-passwd: "
				    "unknown method %s\n", optarg);
				usage();
			}
			prefix = methods[i].prefix;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	user = argv[optind];
	if (*user == 0 || strpbrk(user, ": \t\r\n#") != NULL) {
		fprintf(stderr, "saslauthd-lite-passwd: a user name may not "
		    "be empty or hold ':', '#' or blanks\n");
		return 1;
	}
	if ((n = sasl_readpw("Password: ", pw, sizeof(pw))) < 0)
		return 1;
	if (n == 0) {
		fprintf(stderr, "saslauthd-lite-passwd: empty password\n");
		return 1;
	}
	if (isatty(0)) {
		if (sasl_readpw("Again: ", again, sizeof(again)) < 0 ||
		    strcmp(pw, again) != 0) {
			fprintf(stderr, "saslauthd-lite-passwd: the passwords "
			    "differ\n");
			goto out;
		}
	}
	if (crypt_gensalt_rn(prefix, cost, NULL, 0, setting,
	    sizeof(setting)) == NULL) {
		fprintf(stderr, "saslauthd-lite-passwd: crypt_gensalt %s "
		    "(cost %lu) failed\n", prefix, cost);
		goto out;
	}
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		goto out;
	if (crypt_rn(pw, setting, cd, (int)sizeof(*cd)) == NULL ||
	    cd->output[0] == '*') {
		fprintf(stderr, "saslauthd-lite-passwd: crypt failed\n");
	} else {
		printf("%s:%s\n", user, cd->output);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	secret_free(cd, sizeof(*cd));
out:
	secret_wipe(pw, sizeof(pw));
	secret_wipe(again, sizeof(again));
	return rc;
}
