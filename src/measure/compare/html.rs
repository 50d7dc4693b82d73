//! `compare.html`: one self-contained page (inline CSS, no scripts, no external assets) with the
//! models' briefings in columns side by side and the metrics tables below, rendered from
//! `templates/compare.html` (see [`crate::briefing::pages`]). This module lays out what the page
//! shows, every figure formatted; the template escapes it all.

use serde::Serialize;

use super::baseline::{self, Figure};
use super::{describe_input, describe_params, CompareReport, ModelResult, Output};
use crate::briefing::pages::{PageError, Pages};
use crate::briefing::Source;
use crate::ingest::ArticleId;

#[derive(Serialize)]
struct ComparePage<'a> {
    title: String,
    input: String,
    settings: String,
    models: Vec<ModelView<'a>>,
    /// Data input: one section per example; `None` for files.
    examples: Option<Vec<ExampleView<'a>>>,
    sources: Vec<SourceView<'a>>,
    quality: Table,
    speed: Table,
    machine: String,
    baseline: Option<BaselineView<'a>>,
    schema_version: u32,
}

#[derive(Serialize)]
struct ModelView<'a> {
    label: &'a str,
    architecture: &'a str,
    role: &'a str,
    sha: &'a str,
    outputs: Vec<OutputView<'a>>,
    stats: String,
}

#[derive(Serialize)]
struct ExampleView<'a> {
    id: &'a str,
    documents: String,
    references: &'a [String],
    /// One per model, in the models' order.
    outputs: Vec<Option<OutputView<'a>>>,
}

#[derive(Serialize)]
struct OutputView<'a> {
    headline: &'a str,
    points: Vec<PointView<'a>>,
    dropped: Vec<DroppedView<'a>>,
    summaries: Vec<SummaryView<'a>>,
}

#[derive(Serialize)]
struct PointView<'a> {
    text: &'a str,
    cites: Vec<Cite>,
}

#[derive(Serialize)]
struct DroppedView<'a> {
    text: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct SummaryView<'a> {
    cite: Cite,
    summary: &'a str,
}

/// A citation badge; hovering shows the source's title and path.
#[derive(Serialize)]
struct Cite {
    id: ArticleId,
    hint: String,
}

#[derive(Serialize)]
struct SourceView<'a> {
    id: ArticleId,
    title: &'a str,
    path: &'a str,
}

/// A table of figures, one row per model: the HTML page's and `compare.md`'s.
#[derive(Serialize)]
pub(super) struct Table {
    heads: Vec<&'static str>,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    label: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Cell {
    value: String,
    /// The regression mark ("▼ 12%"), when the figure got worse than the baseline's.
    mark: Option<String>,
}

#[derive(Serialize)]
struct BaselineView<'a> {
    path: &'a str,
    tolerance: String,
    regressions: Vec<RegressionView>,
    unmatched: &'a [String],
}

#[derive(Serialize)]
struct RegressionView {
    text: String,
    kind: &'static str,
}

/// The page with the built-in templates.
pub fn render(r: &CompareReport) -> String {
    render_with(r, &Pages::builtin()).expect("the built-in compare template renders")
}

/// The page with `pages`' `compare.html`.
pub fn render_with(r: &CompareReport, pages: &Pages) -> Result<String, PageError> {
    pages.render("compare.html", page(r))
}

/// The names `compare.html` may use.
const COMPARE_PAGE: &[&str] = &[
    "title",
    "input",
    "settings",
    "models",
    "examples",
    "sources",
    "quality",
    "speed",
    "machine",
    "baseline",
    "schema_version",
];

/// `compare.html` rendered against `samples`, before any model runs.
pub(super) fn check(pages: &Pages, samples: &[CompareReport]) -> Result<(), PageError> {
    let views: Vec<ComparePage> = samples.iter().map(page).collect();
    pages.check("compare.html", COMPARE_PAGE, &views)
}

fn page(r: &CompareReport) -> ComparePage<'_> {
    let names: Vec<&str> = r.models.iter().map(|m| m.label.as_str()).collect();
    let data = r.input.kind == "data";
    let sources: &[Source] = if data { &[] } else { &r.input.sources };
    let models = r
        .models
        .iter()
        .map(|m| {
            let q = &m.quality;
            ModelView {
                label: &m.label,
                architecture: &m.architecture,
                role: &m.role,
                sha: m.sha256.get(..12).unwrap_or(&m.sha256),
                outputs: m.outputs.iter().map(|o| output(o, sources, true)).collect(),
                stats: format!(
                    "{} points · {:.2} citations per point · {} dropped · {:.0} words",
                    q.points, q.citations_per_point, q.dropped, q.words
                ),
            }
        })
        .collect();
    let examples = data.then(|| {
        r.input
            .examples
            .iter()
            .enumerate()
            .map(|(i, ex)| ExampleView {
                id: &ex.id,
                documents: super::documents(ex.documents),
                references: &ex.references,
                outputs: r
                    .models
                    .iter()
                    .map(|m| m.outputs.get(i).map(|o| output(o, &[], false)))
                    .collect(),
            })
            .collect()
    });
    let regs = r
        .baseline
        .as_ref()
        .map_or(&[][..], |b| b.regressions.as_slice());
    ComparePage {
        title: names.join(" vs "),
        input: describe_input(&r.input).replace('`', ""),
        settings: describe_params(&r.params),
        models,
        examples,
        sources: r
            .input
            .sources
            .iter()
            .map(|s| SourceView {
                id: s.id,
                title: s.title.as_deref().unwrap_or("(untitled)"),
                path: &s.path,
            })
            .collect(),
        quality: table(&r.models, baseline::QUALITY, regs),
        speed: table(&r.models, baseline::SPEED, regs),
        machine: r.machine.line(),
        baseline: r.baseline.as_ref().map(|b| BaselineView {
            path: &b.path,
            tolerance: format!("{:.0}", b.tolerance * 100.0),
            regressions: b
                .regressions
                .iter()
                .map(|reg| RegressionView {
                    text: reg.describe(),
                    kind: match reg.kind {
                        baseline::Kind::Quality => "quality",
                        baseline::Kind::Speed => "speed",
                    },
                })
                .collect(),
            unmatched: &b.unmatched,
        }),
        schema_version: r.schema_version,
    }
}

fn output<'a>(o: &'a Output, sources: &[Source], summaries: bool) -> OutputView<'a> {
    let b = &o.briefing;
    OutputView {
        headline: &b.headline,
        points: b
            .statements()
            .map(|p| PointView {
                text: &p.text,
                cites: p.sources.iter().map(|id| cite(*id, sources)).collect(),
            })
            .collect(),
        dropped: b
            .dropped
            .iter()
            .map(|d| DroppedView {
                text: &d.text,
                reason: &d.reason,
            })
            .collect(),
        summaries: if summaries {
            b.sources
                .iter()
                .filter(|s| !s.summary.is_empty())
                .map(|s| SummaryView {
                    cite: cite(s.id, sources),
                    summary: &s.summary,
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

fn cite(id: ArticleId, sources: &[Source]) -> Cite {
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
    Cite { id, hint }
}

pub(super) fn table(
    models: &[ModelResult],
    figures: &[Figure],
    regs: &[super::Regression],
) -> Table {
    let figures = baseline::present(figures, models);
    Table {
        heads: figures.iter().map(|f| f.title).collect(),
        rows: models
            .iter()
            .map(|m| Row {
                label: m.label.clone(),
                cells: figures
                    .iter()
                    .map(|f| Cell {
                        value: f.format(m),
                        mark: baseline::find(regs, &m.label, f.key).map(|reg| reg.mark()),
                    })
                    .collect(),
            })
            .collect(),
    }
}
