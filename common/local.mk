# common/libpfh.a: the one shared library every daemon, tool, bench and test links.
noinst_LIBRARIES += common/libpfh.a
common_libpfh_a_SOURCES = \
	common/sysdep.h \
	common/xalloc.c common/xalloc.h \
	common/secret.c common/secret.h \
	common/lru.c common/lru.h \
	common/buf.c common/buf.h \
	common/text.c common/text.h \
	common/log.c common/log.h \
	common/codec.c common/codec.h \
	common/netstring.c common/netstring.h \
	common/base64.c common/base64.h \
	common/cstrings.c common/cstrings.h \
	common/attrs.c common/attrs.h \
	common/cfg_lines.c common/cfg_lines.h \
	common/cfg_conv.c common/cfg_conv.h \
	common/cfg_expand.c common/cfg_expand.h \
	common/cfg.c common/cfg.h \
	common/cfg_group.c common/cfg_group.h \
	common/atomicfile.c common/atomicfile.h \
	common/htab.c common/htab.h \
	common/fileread.c common/fileread.h \
	common/filewatch.c common/filewatch.h \
	common/table.c common/table.h common/table_source.c \
	common/ev.c common/ev.h \
	common/conn.c common/conn.h \
	common/endpoint.c common/endpoint.h \
	common/ratelimit.c common/ratelimit.h \
	common/admit.c common/admit.h \
	common/listen.c common/listen.h \
	common/fdlimit.c common/fdlimit.h \
	common/workq.c common/workq.h \
	common/privs.c common/privs.h \
	common/postconf.c common/postconf.h \
	common/sockaccess.c common/sockaccess.h \
	common/trustdir.c common/trustdir.h \
	common/pidfile.c common/pidfile.h \
	common/notify.c common/notify.h \
	common/stats.c common/stats.h \
	common/status.h \
	common/status_escape.c common/status_escape.h \
	common/status_writer.c common/status_writer.h \
	common/status_server.c common/status_server.h \
	common/status_auth.c common/status_auth.h \
	common/status_render.h common/status_json.c common/status_prom.c \
	common/status_html.c \
	common/status_http.c common/status_http.h \
	common/status_conn.c common/status_conn.h \
	common/server.c common/server.h common/server_int.h \
	common/server_config.c common/server_config.h \
	common/server_reload.c common/server_reload.h

# Everything that links libpfh also needs these. -lm for floor() in
# status_escape.c and status_html.c:
# gcc inlines it at -O2, clang calls libm.
PFH_LIBS = common/libpfh.a $(MHD_LIBS) $(OPENSSL_LIBS) $(CRYPT_LIBS) $(PTHREAD_LIBS) -lm
AM_CPPFLAGS += $(MHD_CFLAGS) $(OPENSSL_CFLAGS)
# tlsmap's dynamic maps (libunbound, libcurl)
DYN_LIBS = $(UNBOUND_LIBS) $(CURL_LIBS)
AM_CPPFLAGS += $(UNBOUND_CFLAGS) $(CURL_CFLAGS)
