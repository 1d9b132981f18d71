/*
 * pfconf.c - the Postfix configuration through postconf(1) (pfconf.h)
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "pfconf.h"
#include "postconf.h"
#include "xalloc.h"

#define POSTCONF_OUT_MAX	(1024 * 1024)

/* run - postconf [-c dir] flag; its stdout in a fresh buffer, or NULL */
static char *
run(struct pfconf *pf, const char *flag, char *err, size_t errlen)
{
	const char *args[4];
	char *out = xmalloc(POSTCONF_OUT_MAX);
	int n = 0;

	if (pf->dir != NULL) {
		args[n++] = "-c";
		args[n++] = pf->dir;
	}
	args[n++] = flag;
	args[n] = NULL;
	if (postconf_run(pf->postconf, args, DOCTOR_COMMAND_MS, out,
	    POSTCONF_OUT_MAX, err, errlen) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* next_word - the next blank-separated word of *p, NUL-terminated in place */
static char *
next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 0)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = 0;
	*p = s;
	return w;
}

/* add_override - "name=value", or the braced "{name=value with blanks}" */
static void
add_override(struct pf_service *svc, char **p)
{
	char *s = *p, *end, *eq;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '{') {
		end = strchr(s, '}');
		if (end == NULL)
			return;
		*end = 0;
		*p = end + 1;
		s++;
	} else if ((s = next_word(p)) == NULL)
		return;
	if ((eq = strchr(s, '=')) == NULL)
		return;
	/* trim blanks around the name and value of the braced form */
	{
		char *ne = eq, *vs = eq + 1, *ve;

		while (*s == ' ')
			s++;
		while (ne > s && ne[-1] == ' ')
			ne--;
		while (*vs == ' ')
			vs++;
		ve = vs + strlen(vs);
		while (ve > vs && ve[-1] == ' ')
			ve--;
		kvlist_set(&svc->overrides, s, (size_t)(ne - s), vs,
		    (size_t)(ve - vs));
	}
}

/* parse_service - one line of postconf -M; 0, or -1 when it is not one */
static int
parse_service(struct pfconf *pf, char *line, struct pf_service *svc)
{
	char *f[8], *p = line, *w;
	int i;

	memset(svc, 0, sizeof(*svc));
	for (i = 0; i < 8; i++)
		if ((f[i] = next_word(&p)) == NULL)
			return -1;
	svc->name = xstrdup(f[0]);
	svc->type = xstrdup(f[1]);
	svc->command = xstrdup(f[7]);
	if (strcmp(f[4], "-") == 0)
		svc->chroot = pf->major < 3;
	else
		svc->chroot = f[4][0] == 'y';
	while ((w = next_word(&p)) != NULL)
		if (strcmp(w, "-o") == 0)
			add_override(svc, &p);
	return 0;
}

int
pfconf_load(struct pfconf *pf, const char *dir, char *err, size_t errlen)
{
	char *out, *line, *save = NULL;
	const char *v;

	pf->dir = dir;
	if (postconf_find("postconf", pf->postconf, sizeof(pf->postconf), err,
	    errlen) < 0)
		return -1;
	if ((out = run(pf, "-x", err, errlen)) == NULL)
		return -1;
	kvlist_parse(&pf->params, out);
	free(out);
	if ((v = pfconf_get(pf, "mail_version")) == NULL ||
	    sscanf(v, "%d.%d", &pf->major, &pf->minor) != 2) {
		snprintf(err, errlen, "%s printed no mail_version", pf->postconf);
		return -1;
	}
	if ((out = run(pf, "-M", err, errlen)) == NULL)
		return -1;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		pf->svc = xreallocarray(pf->svc, pf->nsvc + 1, sizeof(*pf->svc));
		if (parse_service(pf, line, &pf->svc[pf->nsvc]) == 0)
			pf->nsvc++;
	}
	free(out);
	return 0;
}

const char *
pfconf_get(const struct pfconf *pf, const char *name)
{
	return kvlist_get(&pf->params, name);
}

const char *
pfconf_service_get(const struct pfconf *pf, const struct pf_service *svc,
    const char *name)
{
	const char *v = kvlist_get(&svc->overrides, name);

	return v != NULL ? v : pfconf_get(pf, name);
}

bool
pfconf_service_overrides(const struct pf_service *svc, const char *name)
{
	return kvlist_get(&svc->overrides, name) != NULL;
}

bool
pfconf_is_smtpd(const struct pf_service *svc)
{
	return strcmp(svc->command, "smtpd") == 0;
}

void
pfconf_smtpd_path(const struct pfconf *pf, const struct pf_service *svc,
    const char *path, char *out, size_t outlen)
{
	const char *q = pfconf_get(pf, "queue_directory");

	if (q == NULL)
		q = "";
	if (path[0] != '/')
		snprintf(out, outlen, "%s/%s", q, path);
	else if (svc->chroot)
		snprintf(out, outlen, "%s%s", q, path);
	else
		snprintf(out, outlen, "%s", path);
}

void
pfconf_free(struct pfconf *pf)
{
	size_t i;

	for (i = 0; i < pf->nsvc; i++) {
		free(pf->svc[i].name);
		free(pf->svc[i].type);
		free(pf->svc[i].command);
		kvlist_free(&pf->svc[i].overrides);
	}
	free(pf->svc);
	kvlist_free(&pf->params);
	memset(pf, 0, sizeof(*pf));
}
