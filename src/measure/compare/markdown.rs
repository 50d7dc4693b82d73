//! `compare.md`: the briefings first, then the figures. Timings sit in their own section at the
//! end, so a diff of two comparisons shows changed briefings without timing noise around them.

use std::fmt::Write as _;

use super::baseline::{self, Figure};
use super::{describe_input, describe_params, documents, CompareReport, ModelResult, Output};
use crate::briefing::render;

pub fn render(r: &CompareReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Model comparison\n");
    let _ = writeln!(out, "- Input: {}", describe_input(&r.input));
    let _ = writeln!(out, "- Settings: {}", describe_params(&r.params));
    let models: Vec<String> = r
        .models
        .iter()
        .map(|m| {
            format!(
                "{} (`{}`, {})",
                m.label,
                short_sha(&m.sha256),
                m.architecture
            )
        })
        .collect();
    let _ = writeln!(out, "- Models: {}\n", models.join(", "));

    if r.input.kind == "data" {
        outputs_by_example(&mut out, r);
    } else {
        briefings(&mut out, r);
    }

    out.push_str(&tables(r));
    if let Some(b) = &r.baseline {
        let _ = writeln!(out, "\n## Against the baseline\n");
        let _ = writeln!(
            out,
            "Baseline `{}`, tolerance {:.0}%: {} figure(s) worse.\n",
            b.path,
            b.tolerance * 100.0,
            b.regressions.len()
        );
        for reg in &b.regressions {
            let _ = writeln!(out, "- {} ({:?})", reg.describe(), reg.kind);
        }
        for u in &b.unmatched {
            let _ = writeln!(out, "- {u}: not in the baseline");
        }
    }
    out
}

/// The Quality and Speed sections: what `brief compare` prints when it is done.
pub fn tables(r: &CompareReport) -> String {
    let mut out = String::new();
    let regressions = r
        .baseline
        .as_ref()
        .map_or(&[][..], |b| b.regressions.as_slice());
    let _ = writeln!(out, "## Quality\n");
    table(&mut out, &r.models, baseline::QUALITY, regressions);
    let _ = writeln!(out, "\n## Speed\n");
    let _ = writeln!(
        out,
        "_{}. Timings vary from run to run; compare them on one machine only._\n",
        r.machine.line()
    );
    table(&mut out, &r.models, baseline::SPEED, regressions);
    out
}

fn short_sha(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

fn briefings(out: &mut String, r: &CompareReport) {
    let _ = writeln!(out, "## Briefings\n");
    for m in &r.models {
        let _ = writeln!(out, "### {}\n", render::escape(&m.label));
        for o in &m.outputs {
            output(out, o);
        }
    }
    let _ = writeln!(out, "## Sources\n");
    for s in &r.input.sources {
        let _ = writeln!(
            out,
            "- **[{}] {}** — {}",
            s.id,
            render::title_link(s),
            render::code(&s.path)
        );
    }
    out.push('\n');
}

fn outputs_by_example(out: &mut String, r: &CompareReport) {
    let _ = writeln!(out, "## Outputs\n");
    for (i, ex) in r.input.examples.iter().enumerate() {
        let _ = writeln!(out, "### {} ({})\n", ex.id, documents(ex.documents));
        if let Some(reference) = ex.references.first() {
            let _ = writeln!(out, "**Reference:** {}\n", one_line(reference));
        }
        for m in &r.models {
            let _ = writeln!(out, "#### {}\n", render::escape(&m.label));
            match m.outputs.get(i) {
                Some(o) => output(out, o),
                None => {
                    let _ = writeln!(out, "_(no output)_\n");
                }
            }
        }
    }
}

fn output(out: &mut String, o: &Output) {
    if !o.briefing.headline.is_empty() {
        let _ = writeln!(out, "**{}**\n", one_line(&o.briefing.headline));
    }
    if o.briefing.statements().next().is_none() {
        let _ = writeln!(out, "_(no point could be traced to a source)_\n");
    }
    if let Some(p) = &o.briefing.lede {
        render::lede(out, p, false);
    }
    for p in &o.briefing.points {
        render::point(out, p, false);
    }
    if !o.briefing.points.is_empty() {
        out.push('\n');
    }
    if !o.briefing.dropped.is_empty() {
        let _ = writeln!(out, "Dropped, no source supports them:\n");
        for d in &o.briefing.dropped {
            let _ = writeln!(
                out,
                "- ~~{}~~ — _{}_",
                one_line(&d.text),
                one_line(&d.reason)
            );
        }
        out.push('\n');
    }
}

fn table(out: &mut String, models: &[ModelResult], figures: &[Figure], regs: &[super::Regression]) {
    let figures = baseline::present(figures, models);
    let heads: Vec<&str> = figures.iter().map(|f| f.title).collect();
    let _ = writeln!(out, "| model | {} |", heads.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(figures.len()));
    for m in models {
        let cells: Vec<String> = figures
            .iter()
            .map(|f| match baseline::find(regs, &m.label, f.key) {
                Some(reg) => format!("{} {}", f.format(m), reg.mark()),
                None => f.format(m),
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", cell(&m.label), cells.join(" | "));
    }
}

/// Model text on one line, so a stray newline cannot break a list item or a table, and
/// escaped like every other command's Markdown.
fn one_line(s: &str) -> String {
    render::escape(s)
}

fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}
