/*
 * dovecot_proto.h - the lines of Dovecot's auth client protocol, as
 * Postfix's smtpd speaks it (smtpd_sasl_type = dovecot)
 *
 * Client lines are TAB-separated words ending in LF; the ones parsed:
 *   VERSION <major> <minor>        first; major must be 1
 *   CPID <pid>
 *   AUTH <id> <mech> [name[=value]]...   service= required; secured,
 *                                  rip=, lip=, resp=<base64> (the last
 *                                  word when present); others ignored
 *   CONT <id> <base64>
 *   CANCEL <id>
 * Contract: pure, no allocation; the words point into the caller's line.
 *   dovecot_split() splits len bytes (the LF excluded; line[len], where
 *     the LF was, becomes a NUL) at TABs in place (each TAB becomes a
 *     NUL): -1 for an empty line, a NUL or CR byte in it, or more than
 *     DOVECOT_MAX_WORDS words.
 *   dovecot_parse() turns the words into a command: -1 and a reason in
 *     err (for the log) when the line is malformed: an unknown command,
 *     a missing or non-decimal id (0 and numbers past 2^32-1 included),
 *     AUTH without service= or with an empty mechanism, words after
 *     resp=, a CONT without data. A rip= or lip= that is no IP address
 *     is taken as none ("", as Dovecot does).
 *   dovecot_plain_split() splits a decoded PLAIN response into authzid,
 *     authcid and password: exactly two NUL bytes, else -1.
 */
#ifndef DOVECOT_PROTO_H
#define DOVECOT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define DOVECOT_MAX_LINE	16384	/* bytes, LF included (Dovecot 2.3's cap) */
#define DOVECOT_MAX_WORDS	32

enum dovecot_cmd {
	DC_VERSION, DC_CPID, DC_AUTH, DC_CONT, DC_CANCEL
};

struct dovecot_line {
	enum dovecot_cmd cmd;
	unsigned major, minor;		/* VERSION */
	unsigned long id;		/* AUTH, CONT, CANCEL; CPID's pid */
	const char *mech;		/* AUTH */
	const char *service;		/* AUTH */
	const char *rip, *lip;		/* AUTH, canonical text, "" absent */
	bool	 secured;		/* AUTH */
	const char *resp;		/* AUTH (NULL absent), CONT: base64 */
	char	 rip_buf[64], lip_buf[64];
};

int	dovecot_split(char *line, size_t len, char **words, unsigned *nwords);
int	dovecot_parse(char **words, unsigned nwords, struct dovecot_line *,
	    char *err, size_t errlen);

struct dovecot_plain {
	const char *authzid, *authcid, *password;
	size_t	authzid_len, authcid_len, password_len;
};

int	dovecot_plain_split(const unsigned char *data, size_t len,
	    struct dovecot_plain *);

#endif /* DOVECOT_PROTO_H */
