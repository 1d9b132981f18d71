/*
 * sasl_readpw.h - read a password for the admin tools, never from argv
 *
 * Contract: with a terminal on stdin, prompt on /dev/tty with echo off
 * (restored on every path); otherwise read one line from stdin. The
 * trailing newline (and CR) is dropped. Returns the length, or -1 with a
 * message on stderr (EOF, too long, no terminal). The caller wipes buf.
 */
#ifndef SASL_READPW_H
#define SASL_READPW_H

#include <stddef.h>
#include <sys/types.h>

ssize_t	sasl_readpw(const char *prompt, char *buf, size_t buflen);

#endif /* SASL_READPW_H */
