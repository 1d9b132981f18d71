"""promparse - a strict parser for the Prometheus text exposition format 0.0.4.

Shared by the status page tests (tests/proto/test_status.py,
test_saslauthd_status.py, ...): every daemon's /metrics must parse here.
Debian has no promtool in the test environment, so the rules promtool's
`check metrics` cares about are checked by hand: line syntax, HELP/TYPE
once per family and before its samples, contiguous families, metric and
label name syntax, label value escapes, float values, counters ending in
_total, histograms with cumulative le buckets ending at +Inf equal to
_count, and no duplicate series.

  fams = parse_exposition(text)      # AssertionError on anything invalid
  mval(fams, "pfhelpers_x_total", result="ok")
  mval(fams, "h_seconds", "h_seconds_bucket", le="0.001")
  check_naming_scheme(fams, "tlsmap")  # the pfhelpers metric naming scheme

check_naming_scheme holds a daemon's /metrics to the one naming scheme
of the suite (doc/pfhelpers-status.5, METRICS; common/status_writer.h).
"""

import math
import re

__all__ = ["parse_exposition", "parse_labels", "parse_value",
           "check_histogram", "mval", "check_naming_scheme"]

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not FLOAT_RE.match(s):
        raise AssertionError("bad sample value %r" % s)
    return float(s)


def parse_labels(s, line):
    """'a="x",b="y"' -> dict; strict about quoting and escapes."""
    out = {}
    i = 0
    while i < len(s):
        m = LABEL_NAME_RE.match(s, i)
        assert m, "bad label name at %r in %r" % (s[i:], line)
        name = m.group(0)
        i = m.end()
        assert s[i:i + 2] == '="', "expected =\" after %s in %r" % (name, line)
        i += 2
        val = []
        while True:
            assert i < len(s), "unterminated label value in %r" % line
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                assert nxt in ("\\", '"', "n"), "bad escape \\%s in %r" % (nxt, line)
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                assert c != "\n"
                val.append(c)
                i += 1
        assert name not in out, "duplicate label %s in %r" % (name, line)
        out[name] = "".join(val)
        if i < len(s):
            assert s[i] == ",", "expected , at %r in %r" % (s[i:], line)
            i += 1
    return out


def parse_exposition(text):
    """Return {family: {"type", "help", "samples": [(name, labels, value)]}}.

    Checks: every line is a comment, HELP, TYPE or a sample; HELP and TYPE
    at most once per family and before its samples; a family's samples are
    contiguous; names and labels well-formed; values are floats; counters
    end in _total; histograms have cumulative _bucket series ending with
    le="+Inf" equal to _count, plus _sum; no duplicate series.
    """
    assert text.endswith("\n"), "exposition must end with a newline"
    fams = {}
    order = []
    seen_series = set()
    current = None

    def family_of(sample):
        for suf in ("_bucket", "_sum", "_count"):
            if sample.endswith(suf) and sample[:-len(suf)] in fams \
                    and fams[sample[:-len(suf)]]["type"] == "histogram":
                return sample[:-len(suf)]
        return sample

    for line in text.split("\n")[:-1]:
        assert line == line.strip() and line, "blank or padded line %r" % line
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                assert NAME_RE.match(name), "bad metric name %r" % name
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if name not in order:
                    order.append(name)
                assert not f["samples"], "%s after samples of %s" % (parts[1], name)
                key = parts[1].lower()
                assert f[key] is None, "second %s for %s" % (parts[1], name)
                assert len(parts) == 4, "empty %s for %s" % (parts[1], name)
                if parts[1] == "TYPE":
                    assert parts[3] in ("counter", "gauge", "histogram", "summary",
                                        "untyped"), "bad type %r" % parts[3]
                f[key] = parts[3]
                current = name
            continue
        m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)(?: (-?\d+))?\Z", line)
        assert m, "malformed sample line %r" % line
        sname, lbl, val = m.group(1), m.group(2), m.group(3)
        assert NAME_RE.match(sname), "bad sample name %r" % sname
        labels = parse_labels(lbl or "", line)
        value = parse_value(val)
        fam = family_of(sname)
        assert fam in fams and fams[fam]["type"], "sample %s without TYPE" % sname
        assert fam == current, "samples of %s not contiguous (line %r)" % (fam, line)
        key = (sname, tuple(sorted(labels.items())))
        assert key not in seen_series, "duplicate series %r" % line
        seen_series.add(key)
        fams[fam]["samples"].append((sname, labels, value))

    for name in order:
        f = fams[name]
        assert f["type"], "family %s without TYPE" % name
        assert f["help"], "family %s without HELP" % name
        assert f["samples"], "family %s without samples" % name
        if f["type"] == "counter":
            assert name.endswith("_total"), "counter %s must end in _total" % name
            for s, _, v in f["samples"]:
                assert s == name and v >= 0 and v == int(v), (s, v)
        elif f["type"] == "gauge":
            for s, _, _ in f["samples"]:
                assert s == name, s
        elif f["type"] == "histogram":
            check_histogram(name, f["samples"])
    return fams


def check_histogram(name, samples):
    groups = {}
    for s, labels, v in samples:
        base = {k: x for k, x in labels.items() if k != "le"}
        g = groups.setdefault(tuple(sorted(base.items())),
                              {"buckets": [], "sum": None, "count": None})
        if s == name + "_bucket":
            assert "le" in labels, "bucket without le"
            g["buckets"].append((parse_value(labels["le"]), v))
        elif s == name + "_sum":
            g["sum"] = v
        elif s == name + "_count":
            g["count"] = v
        else:
            raise AssertionError("stray sample %s in histogram %s" % (s, name))
    for key, g in groups.items():
        b = g["buckets"]
        assert b, "histogram %s%r without buckets" % (name, key)
        les = [le for le, _ in b]
        assert les == sorted(les) and len(set(les)) == len(les), les
        assert les[-1] == math.inf, "last bucket must be le=+Inf"
        counts = [c for _, c in b]
        assert all(x <= y for x, y in zip(counts, counts[1:])), \
            "buckets not cumulative: %r" % counts
        assert g["count"] is not None and g["sum"] is not None, "%s needs _sum and _count" % name
        assert counts[-1] == g["count"], "+Inf %r != _count %r" % (counts[-1], g["count"])
        assert g["sum"] >= 0


def mval(fams, fam, sample=None, **labels):
    for s, l, v in fams[fam]["samples"]:
        if s == (sample or fam) and l == labels:
            return v
    raise AssertionError("no %s%r" % (sample or fam, labels))


# The naming scheme (doc/pfhelpers-status.5, METRICS).
SCHEME_RE = re.compile(r"(pfhelpers|saslauthd_lite|policyd_ccert|tlsmap)_[a-z0-9_]+\Z")
DAEMONS = ("saslauthd-lite", "policyd-ccert", "tlsmap")
# what every daemon has, from common/, by the same name in each
COMMON = {"pfhelpers_up", "pfhelpers_ready", "pfhelpers_start_time_seconds",
          "pfhelpers_connections", "pfhelpers_connections_total"}
# ...and for each table file, all four labelled {source="NAME"}
COMMON_TABLE = {"pfhelpers_table_entries", "pfhelpers_table_reloads_total",
                "pfhelpers_table_reload_failures_total",
                "pfhelpers_table_errors"}
LABELS = {"result", "reason", "error", "backend", "source", "listener",
          "kind", "level", "le"}


def metric_prefix(program):
    """A program's own metric prefix: "saslauthd-lite" -> "saslauthd_lite"."""
    return re.sub(r"[^a-z0-9]", "_", program.lower())


def singular(word):
    """The word a plural is of, near enough to compare metric names."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def check_naming_scheme(fams, program, listeners=True):
    """The scheme on the parsed /metrics of program (one of DAEMONS, or a
    test daemon): every name is pfhelpers_ or the program's own prefix
    then [a-z0-9_] (for the daemons: SCHEME_RE), pfhelpers_ only for what
    common/ reports in every daemon (COMMON, and COMMON_TABLE per table
    file), counters end in _total and nothing else does, histograms end in
    _seconds, no two names differ only by a plural, and labels come from
    the scheme's names (LABELS).  listeners=False: a daemon with no
    listener has no pfhelpers_connections metrics."""
    own = metric_prefix(program)
    own_re = re.compile(r"(pfhelpers|%s)_[a-z0-9_]+\Z" % re.escape(own))
    by_singular = {}
    for name, f in fams.items():
        assert own_re.match(name), \
            "%s: %s is neither pfhelpers_ nor %s_ then [a-z0-9_]" % (program, name, own)
        if program in DAEMONS:
            assert SCHEME_RE.match(name), "%s: %s" % (program, name)
        # pfhelpers-sync's own prefix is pfhelpers_sync_
        if name.startswith("pfhelpers_") and not name.startswith(own + "_"):
            assert name in COMMON | COMMON_TABLE, \
                "%s: %s: pfhelpers_ is for what every daemon has" % (program, name)
        if f["type"] == "counter":
            assert name.endswith("_total"), "counter %s" % name
        else:
            assert not name.endswith("_total"), "%s %s ends in _total" % (f["type"], name)
        if f["type"] == "histogram":
            assert name.endswith("_seconds"), "histogram %s" % name
        key = "_".join(singular(w) for w in name.split("_"))
        assert key not in by_singular, \
            "%s and %s differ only by a plural" % (by_singular[key], name)
        by_singular[key] = name
        for _, labels, _ in f["samples"]:
            assert set(labels) <= LABELS, "%s: labels %r" % (name, sorted(labels))
    # a daemon without listeners (pfhelpers-sync) has no connections
    want = COMMON if listeners else {n for n in COMMON
                                     if not n.startswith("pfhelpers_connections")}
    missing = want - set(fams)
    assert not missing, "%s has no %s" % (program, sorted(missing))
    # the table-source helper reports all four, for the same sources
    sources = {n: sorted(l["source"] for _, l, _ in fams[n]["samples"])
               for n in COMMON_TABLE if n in fams}
    if sources:
        assert set(sources) == COMMON_TABLE, "table metrics %r" % sorted(sources)
        assert len({tuple(v) for v in sources.values()}) == 1, sources
