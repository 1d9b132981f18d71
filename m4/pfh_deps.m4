dnl PFH_CHECK_DEPS: every library pfhelpers links, each failure naming the
dnl Debian package that provides it.
AC_DEFUN([PFH_CHECK_DEPS], [
  PKG_CHECK_MODULES([OPENSSL], [libssl >= 1.1.1 libcrypto >= 1.1.1], [],
    [AC_MSG_ERROR([OpenSSL >= 1.1.1 not found: install libssl-dev])])
  PKG_CHECK_MODULES([MHD], [libmicrohttpd >= 0.9.60], [],
    [AC_MSG_ERROR([GNU libmicrohttpd not found: install libmicrohttpd-dev])])
  dnl tlsmap's dynamic maps: DNSSEC-validating lookups and HTTPS fetches
  dnl (not pkg-config: Debian's libunbound.pc requires the .pc files of
  dnl nettle and libevent, whose -dev packages a shared link does not need)
  AC_CHECK_HEADERS([unbound.h], [],
    [AC_MSG_ERROR([unbound.h not found: install libunbound-dev])])
  save_LIBS=$LIBS; LIBS=
  AC_SEARCH_LIBS([ub_ctx_set_stub], [unbound], [],
    [AC_MSG_ERROR([libunbound >= 1.5 not found: install libunbound-dev])])
  UNBOUND_LIBS=$LIBS; LIBS=$save_LIBS
  UNBOUND_CFLAGS=
  AC_SUBST([UNBOUND_LIBS])
  AC_SUBST([UNBOUND_CFLAGS])
  PKG_CHECK_MODULES([CURL], [libcurl >= 7.74], [],
    [AC_MSG_ERROR([libcurl not found: install libcurl4-openssl-dev])])

  AC_CHECK_HEADERS([security/pam_appl.h], [],
    [AC_MSG_ERROR([PAM headers not found: install libpam0g-dev])])
  save_LIBS=$LIBS; LIBS=
  AC_SEARCH_LIBS([pam_start], [pam], [],
    [AC_MSG_ERROR([libpam not found: install libpam0g-dev])])
  AC_CHECK_FUNCS([pam_start_confdir])
  PAM_LIBS=$LIBS; LIBS=$save_LIBS
  AC_SUBST([PAM_LIBS])

  AC_CHECK_HEADERS([crypt.h], [],
    [AC_MSG_ERROR([crypt.h not found: install libcrypt-dev])])
  save_LIBS=$LIBS; LIBS=
  AC_SEARCH_LIBS([crypt_rn], [crypt], [AC_DEFINE([HAVE_CRYPT_RN], [1], [libxcrypt crypt_rn])],
    [AC_SEARCH_LIBS([crypt_r], [crypt], [],
      [AC_MSG_ERROR([crypt_rn/crypt_r not found: install libcrypt-dev])])])
  AC_CHECK_FUNCS([crypt_gensalt_rn])
  CRYPT_LIBS=$LIBS; LIBS=$save_LIBS
  AC_SUBST([CRYPT_LIBS])

  dnl saslauthd-lite's ldap backend (OpenLDAP >= 2.5: ldap_connect()) and
  dnl pfhelpers-sync's LDAP feeds (liblber: the RFC 4533 values)
  AC_CHECK_HEADERS([ldap.h], [],
    [AC_MSG_ERROR([ldap.h not found: install libldap-dev])])
  save_LIBS=$LIBS; LIBS=
  AC_SEARCH_LIBS([ber_scanf], [lber], [],
    [AC_MSG_ERROR([liblber not found: install libldap-dev])])
  AC_SEARCH_LIBS([ldap_connect], [ldap], [],
    [AC_MSG_ERROR([libldap >= 2.5 not found: install libldap-dev])])
  LDAP_LIBS=$LIBS; LIBS=$save_LIBS
  AC_SUBST([LDAP_LIBS])

  dnl pfhelpers-sync's PostgreSQL feeds: libpq's asynchronous API
  PKG_CHECK_MODULES([PQ], [libpq >= 10], [],
    [AC_MSG_ERROR([libpq not found: install libpq-dev])])
  save_CPPFLAGS=$CPPFLAGS; CPPFLAGS="$CPPFLAGS $PQ_CFLAGS"
  AC_CHECK_HEADERS([libpq-fe.h], [],
    [AC_MSG_ERROR([libpq-fe.h not found: install libpq-dev])])
  CPPFLAGS=$save_CPPFLAGS
  save_LIBS=$LIBS; LIBS="$LIBS $PQ_LIBS"
  AC_CHECK_FUNC([PQsetSingleRowMode], [],
    [AC_MSG_ERROR([libpq >= 9.2 (PQsetSingleRowMode) not found: install libpq-dev])])
  LIBS=$save_LIBS

  AX_PTHREAD_SIMPLE

  PKG_CHECK_MODULES([CMOCKA], [cmocka >= 1.1], [have_cmocka=yes],
    [have_cmocka=no; AC_MSG_WARN([cmocka not found: unit tests need libcmocka-dev])])
  AM_CONDITIONAL([HAVE_CMOCKA], [test "x$have_cmocka" = xyes])
])

dnl A small pthread check: glibc has pthreads in libc, older ones need -pthread.
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  AC_CHECK_HEADERS([pthread.h], [], [AC_MSG_ERROR([pthread.h not found: install libc6-dev])])
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
