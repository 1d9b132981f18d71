# tools.sh - sourced by the shell tests: a missing tool names its package
#
#	. "$PFH_SRCDIR/tests/lib/tools.sh"
#	need_tool testsaslauthd postmap
#
# need_tool NAME... returns when every NAME is in $PATH. Otherwise it
# exits at the first one missing: 77 (skip) with "SKIP: NAME missing
# (Debian package PKG)", or, under PFH_REQUIRE_TOOLS=1 (scripts/test: its
# install step must have brought every tool), 1 with "FAIL: missing tool
# NAME -- apt-get install PKG".
# PKG comes from tool_package, which maps as tests/lib/pfhtest.py's
# TOOL_PACKAGES does; a tool not listed is its own package (bash, python3).

# tool_package NAME - the Debian package that installs NAME
tool_package() {
	case $1 in
	postfix|postconf|postqueue|postmap|sendmail) echo postfix ;;
	testsaslauthd|saslauthd) echo sasl2-bin ;;
	mkpasswd) echo whois ;;
	unshare) echo util-linux ;;
	systemd-socket-activate) echo systemd ;;
	*) echo "$1" ;;
	esac
}

# need_tool NAME... - return if each NAME is found, else skip or fail
need_tool() {
	for _tool; do
		command -v "$_tool" >/dev/null 2>&1 && continue
		_pkg=$(tool_package "$_tool")
		if [ "${PFH_REQUIRE_TOOLS:-0}" = 1 ]; then
			echo "FAIL: missing tool $_tool -- apt-get install $_pkg (scripts/install-deps installs it)"
			exit 1
		fi
		echo "SKIP: $_tool missing (Debian package $_pkg)"
		exit 77
	done
}
