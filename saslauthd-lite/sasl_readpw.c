/*
 * sasl_readpw.c - read a password from the tty (no echo) or stdin
 *
 * testsaslauthd takes the password on the command line, where every local
 * user sees it in ps(1) (cyrus-sasl #177, open since 2003). Our tools
 * never do.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sasl_readpw.h"
#include "secret.h"

/* read_line - one line from fd, byte by byte (no stdio buffer keeps it) */
static ssize_t
read_line(int fd, char *buf, size_t buflen)
{
	size_t n = 0;
	char c;
	ssize_t r;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (n + 1 >= buflen) {
			secret_wipe(buf, buflen);
			fprintf(stderr, "password too long (max %zu bytes)\n",
			    buflen - 1);
			return -2;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = 0;
	return (ssize_t)n;
}

/* sasl_readpw - prompt on the tty, or take a line from stdin */
ssize_t
sasl_readpw(const char *prompt, char *buf, size_t buflen)
{
	struct termios old, noecho;
	ssize_t n;
	int fd;

	if (!isatty(0)) {
		n = read_line(0, buf, buflen);
		if (n == -1)
			fprintf(stderr, "no password on standard input\n");
		return n < 0 ? -1 : n;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "/dev/tty: %s\n", strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &old) < 0) {
		fprintf(stderr, "tcgetattr: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	(void)write(fd, prompt, strlen(prompt));
	(void)tcsetattr(fd, TCSAFLUSH, &noecho);
	n = read_line(fd, buf, buflen);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)write(fd, "\n", 1);
	close(fd);
	if (n == -1)
		fprintf(stderr, "no password given\n");
	return n < 0 ? -1 : n;
}
