//! `compare.md`: the briefings first, then the figures, from `templates/compare.md` (the
//! tables from `templates/compare-tables.md`, which is also what `brief compare` prints when
//! it is done). This module lays out what the templates are given, every figure formatted.

use serde::Serialize;

use super::html::{table, Table};
use super::{baseline, describe_params, documents, input_size, CompareReport, Output};
use crate::briefing::pages::{PageError, Pages};
use crate::briefing::render::{PointView, SourceView};
use crate::briefing::Dropped;

#[derive(Serialize)]
struct ComparePage<'a> {
    input: InputView<'a>,
    settings: String,
    models: Vec<ModelView<'a>>,
    /// Data input: one section per example; `None` for files.
    examples: Option<Vec<ExampleView<'a>>>,
    sources: Vec<SourceView<'a>>,
    quality: Table,
    speed: Table,
    machine: String,
    baseline: Option<BaselineView<'a>>,
}

/// The names `compare.md` and `compare-tables.md` may use.
const COMPARE_PAGE: &[&str] = &[
    "input", "settings", "models", "examples", "sources", "quality", "speed", "machine", "baseline",
];

#[derive(Serialize)]
struct InputView<'a> {
    paths: &'a [String],
    /// "5 articles", "2 examples".
    size: String,
}

#[derive(Serialize)]
struct ModelView<'a> {
    label: &'a str,
    sha: &'a str,
    architecture: &'a str,
    outputs: Vec<OutputView<'a>>,
}

#[derive(Serialize)]
struct OutputView<'a> {
    headline: &'a str,
    lede: Option<PointView<'a>>,
    points: Vec<PointView<'a>>,
    dropped: &'a [Dropped],
}

#[derive(Serialize)]
struct ExampleView<'a> {
    id: &'a str,
    documents: String,
    reference: Option<&'a str>,
    /// One per model, in the models' order.
    outputs: Vec<ExampleOutput<'a>>,
}

#[derive(Serialize)]
struct ExampleOutput<'a> {
    label: &'a str,
    output: Option<OutputView<'a>>,
}

#[derive(Serialize)]
struct BaselineView<'a> {
    path: &'a str,
    /// Percent, no decimals.
    tolerance: String,
    regressions: Vec<RegressionView>,
    unmatched: &'a [String],
}

#[derive(Serialize)]
struct RegressionView {
    text: String,
    kind: String,
}

fn output(o: &Output) -> OutputView<'_> {
    OutputView {
        headline: &o.briefing.headline,
        lede: o.briefing.lede.as_ref().map(PointView::of),
        points: o.briefing.points.iter().map(PointView::of).collect(),
        dropped: &o.briefing.dropped,
    }
}

fn page(r: &CompareReport) -> ComparePage<'_> {
    let regs = r
        .baseline
        .as_ref()
        .map_or(&[][..], |b| b.regressions.as_slice());
    let data = r.input.kind == "data";
    ComparePage {
        input: InputView {
            paths: &r.input.paths,
            size: input_size(&r.input),
        },
        settings: describe_params(&r.params),
        models: r
            .models
            .iter()
            .map(|m| ModelView {
                label: &m.label,
                sha: m.sha256.get(..12).unwrap_or(&m.sha256),
                architecture: &m.architecture,
                outputs: m.outputs.iter().map(output).collect(),
            })
            .collect(),
        examples: data.then(|| {
            r.input
                .examples
                .iter()
                .enumerate()
                .map(|(i, ex)| ExampleView {
                    id: &ex.id,
                    documents: documents(ex.documents),
                    reference: ex.references.first().map(String::as_str),
                    outputs: r
                        .models
                        .iter()
                        .map(|m| ExampleOutput {
                            label: &m.label,
                            output: m.outputs.get(i).map(output),
                        })
                        .collect(),
                })
                .collect()
        }),
        sources: r.input.sources.iter().map(SourceView::of).collect(),
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
                    kind: format!("{:?}", reg.kind),
                })
                .collect(),
            unmatched: &b.unmatched,
        }),
    }
}

/// `compare.md` with the built-in templates.
pub fn render(r: &CompareReport) -> String {
    render_with(r, &Pages::builtin()).expect("the built-in compare.md renders")
}

/// `compare.md` with `pages`' templates.
pub fn render_with(r: &CompareReport, pages: &Pages) -> Result<String, PageError> {
    pages.render("compare.md", page(r))
}

/// The Quality and Speed sections: what `brief compare` prints when it is done.
pub fn tables(r: &CompareReport, pages: &Pages) -> Result<String, PageError> {
    pages.render("compare-tables.md", page(r))
}

/// `compare.md`, `compare-tables.md` and `compare.html` rendered against sample comparisons
/// (files and a dev set, with and without a baseline), before any model runs.
pub fn check(pages: &Pages) -> Result<(), PageError> {
    let samples = [super::sample_report(true), super::sample_report(false)];
    let pages_of: Vec<ComparePage> = samples.iter().map(page).collect();
    pages.check("compare.md", COMPARE_PAGE, &pages_of)?;
    pages.check("compare-tables.md", COMPARE_PAGE, &pages_of)?;
    super::html::check(pages, &samples)
}
