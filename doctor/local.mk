# pfhelpers-doctor: checks how Postfix is wired to the daemons.
sbin_PROGRAMS += doctor/pfhelpers-doctor
doctor_pfhelpers_doctor_SOURCES = \
	doctor/main.c doctor/doctor.h \
	doctor/kvlist.c doctor/kvlist.h \
	doctor/pfconf.c doctor/pfconf.h \
	doctor/daemons.c doctor/daemons.h \
	doctor/probe.c doctor/probe.h \
	doctor/sockcheck.c doctor/sockcheck.h \
	doctor/check_sasl.c \
	doctor/check_relay.c doctor/check_pins.c \
	doctor/check_tls.c \
	doctor/check_daemons.c \
	saslauthd-lite/sasl_params.c saslauthd-lite/saslauthd.h
# saslauthd-lite's own parameter table reads its configuration file.
# policyd-ccert's fingerprint parser reads the identities' pins.
doctor_pfhelpers_doctor_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/saslauthd-lite -I$(top_srcdir)/policyd-ccert
doctor_pfhelpers_doctor_LDADD = policyd-ccert/libccert.a $(PFH_LIBS)

dist_man_MANS += doc/pfhelpers-doctor.8

TESTS += tests/integration/doctor.py
