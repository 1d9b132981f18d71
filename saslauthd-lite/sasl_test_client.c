/*
 * sasl_test_client.c - saslauthd-lite-test: ask the daemon, like testsaslauthd
 *
 * Usage: saslauthd-lite-test [-C config | -m dir | -f socket] -u user
 *        [-s service] [-r realm] [-a client_addr] [-t seconds]
 * The password comes from the terminal (echo off) or stdin, never argv.
 * The socket: -f PATH, else -m DIR/mux, else run_dir/mux from the config
 * (-C FILE, or the default config when it exists), else the default run
 * dir. Prints the answer and the round-trip time. Exit 0 on OK, 1 on NO,
 * 2 on any error (no socket, no answer, bad usage).
 */
#include "sysdep.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "cstrings.h"
#include "sasl_readpw.h"
#include "saslauthd.h"
#include "secret.h"
#include "server_config.h"
#include "xalloc.h"

/* usage - and exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: saslauthd-lite-test [-C config | -m dir | "
	    "-f socket] -u user [-s service] [-r realm] [-a client_addr] "
	    "[-t seconds]\n  The password is read from the terminal or stdin."
	    "\n");
	exit(2);
}

/* run_dir_from_config - the daemon's own parameter table reads the file */
static char *
run_dir_from_config(const char *path, int named)
{
	struct cfg_param *table;
	struct sasl_cfg *cfg;
	struct cfg *c;
	char err[1024], *dir = NULL;

	if (!named && access(path, F_OK) < 0)
		return xstrdup(SASL_DEFAULT_RUN_DIR);
	table = cfg_table_join(server_common_params, sasl_params,
	    sasl_common_defaults);
	c = cfg_new();
	cfg = xcalloc(1, sizeof(*cfg));
	if (cfg_load_file(c, path, err, sizeof(err)) < 0 ||
	    cfg_apply(c, table, cfg, err, sizeof(err)) < 0)
		fprintf(stderr, "saslauthd-lite-test: %s\n", err);
	else
		dir = xstrdup(cfg->run_dir);
	if (dir)
		cfg_release(table, cfg);
	free(cfg);
	cfg_free(c);
	free(table);
	return dir;
}

/* read_full - exactly n bytes within the deadline */
static int
read_full(int fd, char *p, size_t n, int timeout_ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	ssize_t r;

	while (n > 0) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* main - one request, one answer */
int
main(int argc, char **argv)
{
	const char *config = SASL_DEFAULT_CONFIG, *dir = NULL, *sock = NULL;
	const char *user = NULL, *service = "smtp", *realm = "";
	const char *client = NULL;
	char pw[SASL_FIELD_MAX + 2], reply[SASL_REPLY_MAX + 1];
	char *rundir = NULL, path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sun;
	struct timespec t0, t1;
	struct buf req;
	unsigned char lenb[2];
	int ch, fd, named = 0, timeout = 10, rc = 2;
	ssize_t pwlen;
	size_t len;
	double ms;

	while ((ch = getopt(argc, argv, "C:m:f:u:s:r:a:t:h")) != -1) {
		switch (ch) {
		case 'C': config = optarg; named = 1; break;
		case 'm': dir = optarg; break;
		case 'f': sock = optarg; break;
		case 'u': user = optarg; break;
		case 's': service = optarg; break;
		case 'r': realm = optarg; break;
		case 'a': client = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (user == NULL || optind != argc || timeout <= 0)
		usage();
	if (sock == NULL) {
		if (dir == NULL)
			dir = rundir = run_dir_from_config(config, named);
		if (dir == NULL)
			return 2;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    SASL_SOCKET_NAME) >= sizeof(path)) {
			fprintf(stderr, "saslauthd-lite-test: %s: path too "
			    "long\n", dir);
			return 2;
		}
		sock = path;
	}
	if ((pwlen = sasl_readpw("Password: ", pw, sizeof(pw))) < 0)
		return 2;

	buf_init(&req, 0);
	buf_set_secret(&req);
	if (sasl_cstring_encode(&req, user, strlen(user)) < 0 ||
	    sasl_cstring_encode(&req, pw, (size_t)pwlen) < 0 ||
	    sasl_cstring_encode(&req, service, strlen(service)) < 0 ||
	    sasl_cstring_encode(&req, realm, strlen(realm)) < 0 ||
	    (client && sasl_cstring_encode(&req, client, strlen(client)) < 0))
		goto out;
	secret_wipe(pw, sizeof(pw));

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "saslauthd-lite-test: %s: path too long\n",
		    sock);
		goto out;
	}
	strcpy(sun.sun_path, sock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "saslauthd-lite-test: connect %s: %s\n", sock,
		    strerror(errno));
		goto out;
	}
	if (write(fd, req.data, req.len) != (ssize_t)req.len ||
	    read_full(fd, (char *)lenb, 2, timeout * 1000) < 0 ||
	    (len = (size_t)lenb[0] << 8 | lenb[1]) > SASL_REPLY_MAX ||
	    read_full(fd, reply, len, timeout * 1000) < 0) {
		fprintf(stderr, "saslauthd-lite-test: %s: no answer within "
		    "%d s\n", sock, timeout);
		close(fd);
		goto out;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	reply[len] = 0;
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (len >= 2 && memcmp(reply, "OK", 2) == 0) {
		printf("OK (%.1f ms)\n", ms);
		rc = 0;
	} else {
		printf("%.2s \"%s\" (%.1f ms)\n", reply,
		    len > 3 ? reply + 3 : "", ms);
		rc = 1;
	}
out:
	secret_wipe(pw, sizeof(pw));
	buf_free(&req);
	free(rundir);
	return rc;
}
