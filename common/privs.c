/*
 * privs.c - users and groups: resolving and naming them, dropping root
 */
#include "sysdep.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

static int
all_digits(const char *s)
{
	if (*s == 0)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* privs_group_gid - resolve a group */
int
privs_group_gid(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr;

	if (all_digits(group)) {
		*gid = (gid_t)strtoul(group, NULL, 10);
		return 0;
	}
	if ((gr = getgrnam(group)) == NULL) {
		snprintf(err, errlen, "unknown group \"%s\"", group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* privs_user_uid - resolve a user */
int
privs_user_uid(const char *user, uid_t *uid, char *err, size_t errlen)
{
	struct passwd *pw;

	if (all_digits(user)) {
		*uid = (uid_t)strtoul(user, NULL, 10);
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user \"%s\"", user);
		return -1;
	}
	*uid = pw->pw_uid;
	return 0;
}

/* privs_lookup - resolve user and group once */
int
privs_lookup(const char *user, const char *group, struct privs *p,
    char *err, size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user \"%s\"", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "refusing to run as \"%s\": it is root", user);
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", user);
	if (group != NULL && *group != 0 &&
	    privs_group_gid(group, &p->gid, err, errlen) < 0)
		return -1;
	return 0;
}

/* privs_drop - become p->uid/p->gid for good */
void
privs_drop(const struct privs *p)
{
	if (setgroups(1, &p->gid) < 0)
		log_fatal("setgroups: %m");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		log_fatal("setresgid %lu: %m", (unsigned long)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		log_fatal("setresuid %lu: %m", (unsigned long)p->uid);
	if (setuid(0) == 0 || seteuid(0) == 0)
		log_fatal("privilege drop to %s failed: root regained", p->user);
}

/* id_text - one id in the given PRIVS_TEXT_* form; name NULL: it has none */
static const char *
id_text(const char *name, const char *kind, unsigned long id, int form,
    char *out, size_t outlen)
{
	if (form == PRIVS_TEXT_ID && name != NULL)
		snprintf(out, outlen, "%s (%s %lu)", name, kind, id);
	else if (form == PRIVS_TEXT_ID)
		snprintf(out, outlen, "%s %lu", kind, id);
	else if (name != NULL)
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "%lu", id);
	return out;
}

/* privs_user_text - a uid for a message, by name if it has one */
const char *
privs_user_text(uid_t uid, int form, char *out, size_t outlen)
{
	struct passwd *pw = getpwuid(uid);

	return id_text(pw ? pw->pw_name : NULL, "uid", (unsigned long)uid,
	    form, out, outlen);
}

/* privs_group_text - a gid for a message, by name if it has one */
const char *
privs_group_text(gid_t gid, int form, char *out, size_t outlen)
{
	struct group *gr = getgrgid(gid);

	return id_text(gr ? gr->gr_name : NULL, "gid", (unsigned long)gid,
	    form, out, outlen);
}

/* privs_has_uid - is uid one of the n in set */
int
privs_has_uid(const uid_t *set, size_t n, uid_t uid)
{
	while (n > 0)
		if (set[--n] == uid)
			return 1;
	return 0;
}

/* privs_has_gid - is gid one of the n in set */
int
privs_has_gid(const gid_t *set, size_t n, gid_t gid)
{
	while (n > 0)
		if (set[--n] == gid)
			return 1;
	return 0;
}
