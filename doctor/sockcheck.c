/*
 * sockcheck.c - a unix socket as Postfix's processes would open it
 * (sockcheck.h)
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "sockaccess.h"
#include "sockcheck.h"

bool
sockcheck_postfix(struct doctor *doc, const char *who, const char *setting,
    const char *path, const char *fix_missing)
{
	struct sockaccess_user u;
	struct stat st;
	char what[3072], why[1024], err[256], fixbuf[1024];
	const char *owner = pfconf_get(&doc->pf, "mail_owner");
	int r;

	if (lstat(path, &st) < 0) {
		snprintf(what, sizeof(what), "%s looks for %s (%s), which %s",
		    who, path, setting, errno == ENOENT ? "does not exist" :
		    strerror(errno));
		snprintf(fixbuf, sizeof(fixbuf), "make the daemon listen on %s, "
		    "or change the setting to the socket it listens on", path);
		doctor_finding(doc, DOC_ERROR, what, "every request fails "
		    "and Postfix logs a connection error that does not name "
		    "the daemon", fix_missing != NULL ? fix_missing : fixbuf);
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(what, sizeof(what), "%s looks for %s (%s), which is "
		    "not a socket", who, path, setting);
		doctor_finding(doc, DOC_ERROR, what, "every request fails",
		    "remove the file and restart the daemon, or point the "
		    "setting at its socket");
		return false;
	}
	if (owner == NULL || *owner == 0)
		owner = "postfix";
	if (sockaccess_user_lookup(owner, &u, err, sizeof(err)) < 0) {
		snprintf(what, sizeof(what), "cannot tell whether %s may "
		    "connect to %s: %s", who, path, err);
		doctor_finding(doc, DOC_WARNING, what, "mail_owner is the user "
		    "Postfix's processes run as", NULL);
		return true;
	}
	r = sockaccess_connect(&u, path, NULL, why, sizeof(why));
	if (r == 0) {
		snprintf(what, sizeof(what), "%s cannot connect to %s (%s): "
		    "user %s is not allowed: %s", who, path, setting, u.name,
		    why);
		snprintf(fixbuf, sizeof(fixbuf), "give the socket a group "
		    "%s is in (socket_group, socket_mode 0660 in the daemon's "
		    "configuration), or adduser %s GROUP; then postfix reload",
		    u.name, u.name);
		doctor_finding(doc, DOC_ERROR, what, "every request fails "
		    "with a permission error in Postfix's log", fixbuf);
	}
	sockaccess_user_free(&u);
	return r != 0;
}
