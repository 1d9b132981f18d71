# contrib/: what an admin installs next to the daemons. Everything goes
# under the doc dir ($(docdir) = share/doc/pfhelpers): systemd units (made
# from their .in with this build's paths), Postfix snippets and the
# daemons' sample configurations. Nothing is installed into /etc or into
# systemd's unit directory: the admin copies what fits (pfhelpers(7)).
dist_man_MANS += doc/pfhelpers.7

dist_doc_DATA = README.md

systemddir = $(docdir)/systemd
systemd_DATA = \
	contrib/systemd/saslauthd-lite.service \
	contrib/systemd/saslauthd-lite.socket \
	contrib/systemd/policyd-ccert.service \
	contrib/systemd/policyd-ccert.socket \
	contrib/systemd/tlsmap.service \
	contrib/systemd/tlsmap.socket \
	contrib/systemd/pfhelpers-sync.service
CLEANFILES += $(systemd_DATA)

postfixdir = $(docdir)/postfix
dist_postfix_DATA = \
	contrib/postfix/main.cf.smtp-auth \
	contrib/postfix/main.cf.ccert-relay \
	contrib/postfix/main.cf.tls-policy \
	contrib/postfix/master.cf.submission \
	contrib/postfix/smtpd.conf

# The daemons' sample configurations and tables (each daemon's author
# writes them; copy them to /etc/pfhelpers).
examplesdir = $(docdir)/examples
dist_examples_DATA = \
	contrib/saslauthd-lite.conf \
	contrib/policyd-ccert.conf \
	contrib/policyd-ccert.identities \
	contrib/tlsmap.conf \
	contrib/tls_policy \
	contrib/tls_per_site \
	contrib/pfhelpers-sync.conf

# fail2ban: the filter and the (disabled) jail for saslauthd-lite's failed
# decisions, in fail2ban's own layout (copy both into /etc/fail2ban).
fail2ban_filterdir = $(docdir)/fail2ban/filter.d
dist_fail2ban_filter_DATA = contrib/fail2ban/filter.d/pfhelpers-saslauthd-lite.conf
fail2ban_jaildir = $(docdir)/fail2ban/jail.d
dist_fail2ban_jail_DATA = contrib/fail2ban/jail.d/pfhelpers-saslauthd-lite.conf

contrib_subst = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@pfhsysconfdir[@]|$(PFH_CONFDIR)|g'

$(systemd_DATA): Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/systemd && \
	$(contrib_subst) <$(srcdir)/$@.in >$@.tmp && mv -f $@.tmp $@
contrib/systemd/saslauthd-lite.service: $(srcdir)/contrib/systemd/saslauthd-lite.service.in
contrib/systemd/saslauthd-lite.socket: $(srcdir)/contrib/systemd/saslauthd-lite.socket.in
contrib/systemd/policyd-ccert.service: $(srcdir)/contrib/systemd/policyd-ccert.service.in
contrib/systemd/policyd-ccert.socket: $(srcdir)/contrib/systemd/policyd-ccert.socket.in
contrib/systemd/tlsmap.service: $(srcdir)/contrib/systemd/tlsmap.service.in
contrib/systemd/tlsmap.socket: $(srcdir)/contrib/systemd/tlsmap.socket.in
contrib/systemd/pfhelpers-sync.service: $(srcdir)/contrib/systemd/pfhelpers-sync.service.in

# EXTRA_DIST carries all of contrib/; an in-tree build leaves the made units
# next to their .in, and they must not ship with one build's paths.
dist-hook: contrib-dist-hook
contrib-dist-hook:
	rm -f $(distdir)/contrib/systemd/*.service $(distdir)/contrib/systemd/*.socket
.PHONY: contrib-dist-hook

# The demo (scripts/demo) and the test runner are shipped too.
EXTRA_DIST += scripts/demo scripts/install-deps scripts/test

# debian/ builds the packages from the tree or from the dist tarball.
EXTRA_DIST += debian
