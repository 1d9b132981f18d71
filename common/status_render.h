/*
 * status_render.h - the status page's three views of one record
 *
 * Each renderer appends one complete response body for a request's record
 * (status_writer.h) to b, through status_escape.h (so a body that hits
 * b's cap is noticed by status_put_overflowed(), never sent cut):
 *   status_render_json  /status.json: the head's fields, then every
 *                       section with its facts, counters, gauges,
 *                       histograms, recent lists and tables (field names
 *                       in doc/status.md)   [status_json.c]
 *   status_render_prom  /metrics: Prometheus text format 0.0.4, with
 *                       pfhelpers_ready from the record; one HELP/TYPE per
 *                       family, a family used as two types or a label set
 *                       given twice skipped with a warning; it marks the
 *                       items it printed (item.skip)   [status_prom.c]
 *   status_render_html  /: a self-contained page (inline CSS, no script,
 *                       no external assets) refreshing every
 *                       STATUS_REFRESH seconds; identifiers spelled in
 *                       words (status.h)   [status_html.c]
 * Loop thread only.
 */
#ifndef PFH_STATUS_RENDER_H
#define PFH_STATUS_RENDER_H

#define STATUS_REFRESH		5		/* HTML page refresh, seconds */

struct buf;
struct status_writer;

void	status_render_json(const struct status_writer *, struct buf *);
void	status_render_prom(struct status_writer *, struct buf *);
void	status_render_html(const struct status_writer *, struct buf *);

#endif /* PFH_STATUS_RENDER_H */
