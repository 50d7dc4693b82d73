//! `compare.html`: one self-contained page (inline CSS, no scripts, no external assets) with the
//! models' briefings in columns side by side and the metrics tables below.

use std::fmt::Write as _;

use crate::briefing::render::escape_html as esc;

use super::baseline::{self, Figure};
use super::{describe_input, describe_params, CompareReport, ModelResult, Output};
use crate::briefing::Source;
use crate::ingest::ArticleId;

const CSS: &str = r#"
:root { --ink:#1d2330; --muted:#5b6475; --line:#dde1e7; --bg:#f5f6f8; --card:#fff;
  --accent:#2451b7; --accent-bg:#e8eefc; --bad:#b3261e; --bad-bg:#fdecea; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; }
header, main > section { padding: 0 32px; }
header { padding-top: 24px; }
h1 { margin:0 0 6px; font-size:1.6rem; }
h2.section { font-size:1.15rem; margin:28px 0 12px; padding-bottom:4px; border-bottom:1px solid var(--line); }
.meta { margin:2px 0; color:var(--muted); font-size:.9rem; }
.grid { display:grid; grid-template-columns:repeat(var(--cols),minmax(0,1fr)); gap:20px; align-items:start; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 22px 18px;
  box-shadow:0 1px 2px rgba(20,30,50,.06); }
.card.reference { background:#fbfaf4; }
.model { display:flex; flex-wrap:wrap; justify-content:space-between; align-items:baseline; gap:2px 12px;
  margin:0 0 2px; font-size:1.05rem; color:var(--accent); }
.model small { color:var(--muted); font-weight:400; font-size:.8rem; white-space:nowrap; }
.headline { margin:10px 0 8px; font-size:1.1rem; line-height:1.35; }
ol.points { margin:0; padding-left:1.4em; }
ol.points li { margin:0 0 8px; }
.stats { margin:12px 0 0; padding-top:8px; border-top:1px solid var(--line); color:var(--muted); font-size:.8rem; }
.cite { display:inline-block; margin-left:4px; padding:0 6px; border-radius:4px; font-size:.75rem;
  font-weight:600; line-height:1.6; color:var(--accent); background:var(--accent-bg); vertical-align:1px; }
.none { color:var(--muted); font-style:italic; }
details { margin-top:10px; font-size:.9rem; }
summary { cursor:pointer; color:var(--muted); }
details.dropped summary { color:var(--bad); }
details.dropped li { text-decoration:line-through; color:var(--muted); }
details .reason { text-decoration:none; display:block; font-size:.8rem; }
dl.summaries dt { font-weight:600; margin-top:6px; }
dl.summaries dd { margin:0 0 0 0; color:var(--muted); }
table { border-collapse:collapse; background:var(--card); border:1px solid var(--line); font-size:.9rem; }
th, td { padding:6px 12px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
th { background:#eef0f4; font-weight:600; }
.reg { color:var(--bad); background:var(--bad-bg); border-radius:4px; padding:0 4px; margin-left:4px; font-weight:600; }
ul.sources { margin:0; padding:0; list-style:none; columns:2; column-gap:32px; font-size:.9rem; }
ul.sources li { break-inside:avoid; margin-bottom:6px; }
ul.sources code { display:block; margin-left:2.9em; }
code { font-size:.85em; color:var(--muted); }
footer { padding:24px 32px; color:var(--muted); font-size:.8rem; }
"#;

pub fn render(r: &CompareReport) -> String {
    let mut out = String::new();
    let names: Vec<&str> = r.models.iter().map(|m| m.label.as_str()).collect();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>brief compare: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&names.join(" vs "))
    );
    let _ = write!(
        out,
        "<header>\n<h1>Model comparison</h1>\n<p class=\"meta\">Input: {}</p>\n\
         <p class=\"meta\">Settings: {}</p>\n</header>\n<main>\n",
        esc(&describe_input(&r.input).replace('`', "")),
        esc(&describe_params(&r.params))
    );
    if r.input.kind == "data" {
        examples(&mut out, r);
    } else {
        briefings(&mut out, r);
    }
    metrics(&mut out, r);
    let _ = write!(
        out,
        "</main>\n<footer>Written by <code>brief compare</code>, format {}.</footer>\n</body>\n</html>\n",
        r.schema_version
    );
    out
}

fn briefings(out: &mut String, r: &CompareReport) {
    let _ = write!(
        out,
        "<section>\n<h2 class=\"section\">Briefings</h2>\n<div class=\"grid\" style=\"--cols:{}\">\n",
        r.models.len().max(1)
    );
    for m in &r.models {
        card_open(out, m);
        for o in &m.outputs {
            output(out, o, &r.input.sources);
            summaries(out, o, &r.input.sources);
        }
        let q = &m.quality;
        let _ = writeln!(
            out,
            "<p class=\"stats\">{} points · {:.2} citations per point · {} dropped · {:.0} words</p>",
            q.points, q.citations_per_point, q.dropped, q.words
        );
        out.push_str("</article>\n");
    }
    out.push_str("</div>\n</section>\n");
    if !r.input.sources.is_empty() {
        out.push_str("<section>\n<h2 class=\"section\">Sources</h2>\n<ul class=\"sources\">\n");
        for s in &r.input.sources {
            let _ = writeln!(
                out,
                "<li><span class=\"cite\">{}</span> {} <code>{}</code></li>",
                s.id,
                esc(s.title.as_deref().unwrap_or("(untitled)")),
                esc(&s.path)
            );
        }
        out.push_str("</ul>\n</section>\n");
    }
}

fn examples(out: &mut String, r: &CompareReport) {
    for (i, ex) in r.input.examples.iter().enumerate() {
        let _ = write!(
            out,
            "<section>\n<h2 class=\"section\">{} <small class=\"meta\">{}</small></h2>\n\
             <div class=\"grid\" style=\"--cols:{}\">\n",
            esc(&ex.id),
            super::documents(ex.documents),
            r.models.len() + 1
        );
        out.push_str("<article class=\"card reference\">\n<h3 class=\"model\">Reference</h3>\n");
        for reference in &ex.references {
            let _ = writeln!(out, "<p>{}</p>", esc(reference));
        }
        out.push_str("</article>\n");
        for m in &r.models {
            card_open(out, m);
            match m.outputs.get(i) {
                Some(o) => output(out, o, &[]),
                None => out.push_str("<p class=\"none\">(no output)</p>\n"),
            }
            out.push_str("</article>\n");
        }
        out.push_str("</div>\n</section>\n");
    }
}

fn card_open(out: &mut String, m: &ModelResult) {
    let _ = write!(
        out,
        "<article class=\"card\">\n<h3 class=\"model\">{}<small>{} · {} · {}</small></h3>\n",
        esc(&m.label),
        esc(&m.architecture),
        esc(&m.role),
        esc(m.sha256.get(..12).unwrap_or(&m.sha256))
    );
}

fn output(out: &mut String, o: &Output, sources: &[Source]) {
    if !o.briefing.headline.is_empty() {
        let _ = writeln!(
            out,
            "<h4 class=\"headline\">{}</h4>",
            esc(&o.briefing.headline)
        );
    }
    if o.briefing.points.is_empty() {
        out.push_str("<p class=\"none\">No point could be traced to a source.</p>\n");
    } else {
        out.push_str("<ol class=\"points\">\n");
        for p in &o.briefing.points {
            let cites: String = p.sources.iter().map(|id| cite(*id, sources)).collect();
            let _ = writeln!(out, "<li>{}{cites}</li>", esc(&p.text));
        }
        out.push_str("</ol>\n");
    }
    if !o.briefing.dropped.is_empty() {
        let _ =
            writeln!(
            out,
            "<details class=\"dropped\"><summary>{} dropped: no source supports {}</summary><ul>",
            o.briefing.dropped.len(),
            if o.briefing.dropped.len() == 1 { "it" } else { "them" }
        );
        for d in &o.briefing.dropped {
            let _ = writeln!(
                out,
                "<li>{}<span class=\"reason\">{}</span></li>",
                esc(&d.text),
                esc(&d.reason)
            );
        }
        out.push_str("</ul></details>\n");
    }
}

fn summaries(out: &mut String, o: &Output, sources: &[Source]) {
    if o.briefing.sources.iter().all(|s| s.summary.is_empty()) {
        return;
    }
    out.push_str("<details><summary>Article summaries</summary><dl class=\"summaries\">\n");
    for s in o.briefing.sources.iter().filter(|s| !s.summary.is_empty()) {
        let _ = writeln!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            cite(s.id, sources),
            esc(&s.summary)
        );
    }
    out.push_str("</dl></details>\n");
}

/// A citation badge; hovering shows the source's title and path.
fn cite(id: ArticleId, sources: &[Source]) -> String {
    let hint = sources
        .iter()
        .find(|s| s.id == id)
        .map(|s| {
            format!(
                "{} — {}",
                s.title.as_deref().unwrap_or("(untitled)"),
                s.path
            )
        })
        .unwrap_or_default();
    format!("<span class=\"cite\" title=\"{}\">{id}</span>", esc(&hint))
}

fn metrics(out: &mut String, r: &CompareReport) {
    let regs = r
        .baseline
        .as_ref()
        .map_or(&[][..], |b| b.regressions.as_slice());
    out.push_str("<section>\n<h2 class=\"section\">Quality</h2>\n");
    table(out, &r.models, baseline::QUALITY, regs);
    out.push_str("</section>\n<section>\n<h2 class=\"section\">Speed</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}. Timings vary from run to run; compare them on one machine only.</p>",
        esc(&r.machine.line())
    );
    table(out, &r.models, baseline::SPEED, regs);
    out.push_str("</section>\n");
    if let Some(b) = &r.baseline {
        let _ = writeln!(
            out,
            "<section>\n<h2 class=\"section\">Against the baseline</h2>\n\
             <p class=\"meta\">{} · tolerance {:.0}% · {} figure(s) worse</p>",
            esc(&b.path),
            b.tolerance * 100.0,
            b.regressions.len()
        );
        if !b.regressions.is_empty() {
            out.push_str("<ul>\n");
            for reg in &b.regressions {
                let kind = match reg.kind {
                    baseline::Kind::Quality => "quality",
                    baseline::Kind::Speed => "speed",
                };
                let _ = writeln!(
                    out,
                    "<li>{} <span class=\"meta\">({kind})</span></li>",
                    esc(&reg.describe())
                );
            }
            out.push_str("</ul>\n");
        }
        if !b.unmatched.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"meta\">Not in the baseline: {}</p>",
                esc(&b.unmatched.join(", "))
            );
        }
        out.push_str("</section>\n");
    }
}

fn table(out: &mut String, models: &[ModelResult], figures: &[Figure], regs: &[super::Regression]) {
    let figures = baseline::present(figures, models);
    out.push_str("<table>\n<tr><th>model</th>");
    for f in &figures {
        let _ = write!(out, "<th>{}</th>", esc(f.title));
    }
    out.push_str("</tr>\n");
    for m in models {
        let _ = write!(out, "<tr><td>{}</td>", esc(&m.label));
        for f in &figures {
            let mark = baseline::find(regs, &m.label, f.key)
                .map(|reg| format!("<span class=\"reg\">{}</span>", esc(&reg.mark())))
                .unwrap_or_default();
            let _ = write!(out, "<td>{}{mark}</td>", f.format(m));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}
