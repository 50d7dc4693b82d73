//! A report → Markdown for people or JSON for programs.

use std::fmt::Write as _;

use crate::manifest::Role;
use crate::pipeline::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

pub fn render(report: &Report, format: Format, evidence: bool) -> String {
    match format {
        Format::Markdown => markdown(report, evidence),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
                // Serialising plain data cannot fail; if it ever does, say so in the output.
                format!("{{\"error\": \"serialising the report failed: {e}\"}}")
            });
            s.push('\n');
            s
        }
    }
}

fn cites(ids: &[crate::ingest::ArticleId]) -> String {
    ids.iter().map(|id| format!("[{id}]")).collect()
}

pub fn markdown(report: &Report, evidence: bool) -> String {
    let mut out = String::new();
    let b = &report.briefing;
    let _ = writeln!(out, "# {}\n", b.headline);
    if report.run.model.role == Role::Base {
        let _ = writeln!(
            out,
            "> Written by `{}`, a base model (not instruction-tuned): expect rougher text.\n",
            report.run.model.name
        );
    }
    if b.points.is_empty() {
        let _ = writeln!(
            out,
            "_No point of the model's briefing could be traced to a source; see the summaries below._\n"
        );
    }
    for p in &b.points {
        let mark = match &p.unsupported {
            Some(why) => format!(" **(unsupported: {why})**"),
            None => String::new(),
        };
        let _ = writeln!(out, "- {} {}{}", p.text, cites(&p.sources), mark);
        if evidence {
            for e in &p.evidence {
                let _ = writeln!(out, "  - [{}] {:.2}: \"{}\"", e.source, e.score, e.sentence);
            }
        }
    }
    if !b.disagreements.is_empty() {
        let _ = writeln!(out, "\n## Where sources differ\n");
        for d in &b.disagreements {
            let sides: Vec<String> = d
                .sides
                .iter()
                .map(|s| format!("{} {}", s.value, cites(&s.sources)))
                .collect();
            let _ = writeln!(out, "- **{}**: {}", d.about, sides.join(" vs "));
            if evidence {
                for s in &d.sides {
                    let _ = writeln!(out, "  - {}: \"{}\"", cites(&s.sources), s.sentence);
                }
            }
        }
    }
    let _ = writeln!(out, "\n## Sources\n");
    for s in &report.sources {
        let title = s.title.as_deref().unwrap_or("(untitled)");
        let _ = writeln!(out, "**[{}] {}** — `{}`", s.id, title, s.path);
        let chunked = if s.chunks > 1 {
            format!(" _(long article: summarized in {} parts)_", s.chunks)
        } else {
            String::new()
        };
        let _ = writeln!(out, "{}{}\n", s.summary, chunked);
    }
    for s in &report.skipped {
        let _ = writeln!(
            out,
            "_Skipped `{}`: same article as [{}]._",
            s.path, s.duplicate_of
        );
    }
    for r in &report.rejected {
        let _ = writeln!(out, "_Not used: {}._", r.reason);
    }
    let r = &report.run;
    let _ = writeln!(
        out,
        "\n---\n_{} · {} · {:.1} s · prefill {:.0} tok/s · decode {:.0} tok/s_",
        r.model.name,
        r.model.sha256.get(..12).unwrap_or(""),
        r.timings.total_secs,
        r.timings.prefill_tok_per_s,
        r.timings.decode_tok_per_s
    );
    out
}
