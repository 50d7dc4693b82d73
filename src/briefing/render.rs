//! Briefings → Markdown for people or JSON for programs. The Markdown of every command (`run`,
//! the nightly report, `compare`) comes from a template in `templates/` (see
//! [`super::pages`], which escapes every value); this module lays out what those templates are
//! given, every figure formatted, with the views of points, differences and sources that all
//! three share, and the sample briefings the start-up check renders them with.

use serde::Serialize;

use super::pages::{PageError, Pages};
use super::{
    Briefing, Disagreement, Document, Dropped, Evidence, Params, Point, PromptsRecord, Rejected,
    RunRecord, Side, Source,
};
use crate::ingest::{ArticleId, Skipped};
use crate::llm::manifest::Role;
use crate::llm::registry::ModelInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Markdown, Format::Json];

    /// The name the command line takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }
}

/// `doc` in `format`, Markdown from the built-in `briefing.md`.
pub fn render(doc: &Document, format: Format, evidence: bool) -> String {
    render_with(doc, format, evidence, &Pages::builtin()).expect("the built-in briefing.md renders")
}

/// `doc` in `format`, Markdown from `pages`' `briefing.md`.
pub fn render_with(
    doc: &Document,
    format: Format,
    evidence: bool,
    pages: &Pages,
) -> Result<String, PageError> {
    match format {
        Format::Markdown => markdown(doc, evidence, pages),
        Format::Json => Ok(json(doc)),
    }
}

/// Pretty JSON with a final newline.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        // Serialising plain data cannot fail; if it ever does, say so in the output.
        format!("{{\"error\": \"serialising failed: {e}\"}}")
    });
    s.push('\n');
    s
}

/// A briefing's points and disagreements as every Markdown template shows them (the macros
/// of `templates/parts.md` take these).
#[derive(Serialize)]
pub struct BodyView<'a> {
    /// The lede, a paragraph of its own before the points.
    pub lede: Option<PointView<'a>>,
    pub points: Vec<PointView<'a>>,
    pub disagreements: Vec<DisagreementView<'a>>,
}

#[derive(Serialize)]
pub struct PointView<'a> {
    pub text: &'a str,
    pub new: bool,
    pub sources: &'a [ArticleId],
    /// Why the point failed its checks (kept with `keep_unsupported`).
    pub unsupported: Option<&'a str>,
    pub evidence: Vec<EvidenceView<'a>>,
}

#[derive(Serialize)]
pub struct EvidenceView<'a> {
    pub source: ArticleId,
    /// Two decimals, as a string: a template holds no arithmetic.
    pub score: String,
    pub sentence: &'a str,
}

#[derive(Serialize)]
pub struct DisagreementView<'a> {
    pub about: &'a str,
    pub sides: &'a [Side],
}

/// A source as the Markdown lists show it; the title is "(untitled)" when it has none, and the
/// url is as the source gives it (the `link` filter keeps only http(s)).
#[derive(Serialize)]
pub struct SourceView<'a> {
    pub id: ArticleId,
    pub title: &'a str,
    pub url: Option<&'a str>,
    pub path: &'a str,
    pub published: Option<&'a str>,
    pub summary: &'a str,
    pub chunks: usize,
    pub teaser: bool,
    pub new: bool,
}

impl<'a> BodyView<'a> {
    pub fn of(b: &'a Briefing) -> Self {
        BodyView {
            lede: b.lede.as_ref().map(PointView::of),
            points: b.points.iter().map(PointView::of).collect(),
            disagreements: b
                .disagreements
                .iter()
                .map(|d| DisagreementView {
                    about: &d.about,
                    sides: &d.sides,
                })
                .collect(),
        }
    }
}

impl<'a> PointView<'a> {
    pub fn of(p: &'a Point) -> Self {
        PointView {
            text: &p.text,
            new: p.new,
            sources: &p.sources,
            unsupported: p.unsupported.as_deref(),
            evidence: p
                .evidence
                .iter()
                .map(|e| EvidenceView {
                    source: e.source,
                    score: format!("{:.2}", e.score),
                    sentence: &e.sentence,
                })
                .collect(),
        }
    }
}

impl<'a> SourceView<'a> {
    pub fn of(s: &'a Source) -> Self {
        SourceView {
            id: s.id,
            title: s.title.as_deref().unwrap_or("(untitled)"),
            url: s.url.as_deref(),
            path: &s.path,
            published: s.published.as_deref(),
            summary: &s.summary,
            chunks: s.chunks,
            teaser: s.teaser,
            new: s.new,
        }
    }
}

/// What `templates/briefing.md` is given.
#[derive(Serialize)]
struct RunPage<'a> {
    headline: &'a str,
    /// The model's name when it is a base model, whose text is rougher.
    base_model: Option<&'a str>,
    evidence: bool,
    body: BodyView<'a>,
    sources: Vec<SourceView<'a>>,
    skipped: Vec<SkippedView<'a>>,
    rejected: Vec<&'a str>,
    run: RunFooter<'a>,
}

/// The names `briefing.md` may use.
const RUN_PAGE: &[&str] = &[
    "headline",
    "base_model",
    "evidence",
    "body",
    "sources",
    "skipped",
    "rejected",
    "run",
];

#[derive(Serialize)]
struct SkippedView<'a> {
    path: &'a str,
    duplicate_of: ArticleId,
}

/// The last line: model, weights and speed, each figure formatted.
#[derive(Serialize)]
struct RunFooter<'a> {
    model: &'a str,
    sha: &'a str,
    secs: String,
    prefill: String,
    decode: String,
}

fn run_page(doc: &Document, evidence: bool) -> RunPage<'_> {
    let b = &doc.briefing;
    let r = &doc.run;
    RunPage {
        headline: &b.headline,
        base_model: (r.model.role == Role::Base).then_some(r.model.name.as_str()),
        evidence,
        body: BodyView::of(b),
        sources: b.sources.iter().map(SourceView::of).collect(),
        skipped: doc
            .skipped
            .iter()
            .map(|s| SkippedView {
                path: &s.path,
                duplicate_of: s.duplicate_of,
            })
            .collect(),
        rejected: doc.rejected.iter().map(|x| x.reason.as_str()).collect(),
        run: RunFooter {
            model: &r.model.name,
            sha: r.model.sha256.get(..12).unwrap_or(""),
            secs: format!("{:.1}", r.timings.total_secs),
            prefill: format!("{:.0}", r.timings.prefill_tok_per_s),
            decode: format!("{:.0}", r.timings.decode_tok_per_s),
        },
    }
}

/// `brief run`'s Markdown, from `pages`' `briefing.md`.
pub fn markdown(doc: &Document, evidence: bool, pages: &Pages) -> Result<String, PageError> {
    pages.render("briefing.md", run_page(doc, evidence))
}

/// `briefing.md` rendered once with everything a run can show and once with nothing, before
/// the model loads (see [`Pages::check`]).
pub fn check(pages: &Pages) -> Result<(), PageError> {
    let full = sample_document(true);
    let empty = sample_document(false);
    pages.check(
        "briefing.md",
        RUN_PAGE,
        &[run_page(&full, true), run_page(&empty, false)],
    )
}

/// A briefing with every optional part present (`full`), or with none: what the template
/// checks render, so each branch of a template meets a value.
pub fn sample_briefing(full: bool) -> Briefing {
    if !full {
        return Briefing::default();
    }
    let source = Source {
        id: ArticleId(1),
        path: "sample.rss#1".into(),
        title: Some("A title".into()),
        summary: "A summary.".into(),
        sentences: Vec::new(),
        chunks: 2,
        content_hash: String::new(),
        url: Some("https://example.org/a".into()),
        published: Some("2026-01-02T08:00:00Z".into()),
        teaser: true,
        new: true,
    };
    let evidence = Evidence {
        source: ArticleId(1),
        sentence: "A sentence.".into(),
        score: 0.9,
    };
    let side = |value: &str| Side {
        value: value.into(),
        sources: vec![ArticleId(1)],
        sentence: "A sentence.".into(),
    };
    Briefing {
        headline: "A headline".into(),
        lede: Some(Point {
            sources: vec![ArticleId(1), ArticleId(2)],
            evidence: vec![evidence.clone()],
            grounded: true,
            new: true,
            ..Point::unchecked("A lede.".into())
        }),
        sources: vec![
            source.clone(),
            Source {
                id: ArticleId(2),
                title: None,
                url: None,
                published: None,
                teaser: false,
                new: false,
                chunks: 1,
                ..source
            },
        ],
        points: vec![Point {
            sources: vec![ArticleId(1)],
            evidence: vec![evidence],
            grounded: true,
            unsupported: Some("a reason".into()),
            new: true,
            ..Point::unchecked("A point.".into())
        }],
        dropped: vec![Dropped {
            text: "A dropped point.".into(),
            reason: "a reason".into(),
        }],
        disagreements: vec![Disagreement {
            kind: super::DisagreementKind::Count,
            about: "people".into(),
            sides: vec![side("3"), side("4")],
        }],
        stats: Default::default(),
    }
}

fn sample_document(full: bool) -> Document {
    let mut doc = Document {
        briefing: sample_briefing(full),
        skipped: Vec::new(),
        rejected: Vec::new(),
        run: RunRecord {
            version: String::new(),
            model: ModelInfo {
                name: "sample".into(),
                path: "sample.gguf".into(),
                sha256: "0".repeat(64),
                architecture: "llama".into(),
                role: if full { Role::Base } else { Role::Chat },
                weights: crate::llm::model::WeightFormat::Fast,
                device: crate::llm::model::DeviceChoice::Cpu,
                load_secs: 0.0,
            },
            prompts: PromptsRecord {
                origin: String::new(),
                hashes: Default::default(),
            },
            params: Params {
                summary: Default::default(),
                briefing: Default::default(),
                points: 1,
                words: None,
                mode: super::Mode::Hybrid,
                judge: None,
                style: super::Style::Briefing,
            },
            tokens: Default::default(),
            timings: Default::default(),
        },
    };
    if full {
        doc.skipped.push(Skipped {
            path: "copy.txt".into(),
            duplicate_of: ArticleId(1),
        });
        doc.rejected.push(Rejected {
            path: "b.bin".into(),
            reason: "b.bin: binary".into(),
        });
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Source {
        Source {
            id: ArticleId(2),
            path: "news.rss#2".into(),
            title: Some("Talks [update] resume".into()),
            summary: "Talks resumed on Monday.".into(),
            sentences: Vec::new(),
            chunks: 1,
            content_hash: String::new(),
            url: None,
            published: None,
            teaser: false,
            new: false,
        }
    }

    /// The Markdown of a run whose one source is `s`.
    fn run_with(s: Source) -> String {
        let mut doc = sample_document(false);
        doc.briefing.sources = vec![s];
        markdown(&doc, false, &Pages::builtin()).unwrap()
    }

    #[test]
    fn a_plain_source_is_listed_as_before() {
        assert!(run_with(source()).contains(
            "\n## Sources\n\n**[S2] Talks [update] resume** — `news.rss#2`\nTalks resumed on Monday.\n\n"
        ));
    }

    #[test]
    fn a_source_with_a_url_links_its_title_and_shows_its_date() {
        let s = Source {
            url: Some("https://example.com/a (b)".into()),
            published: Some("2024-03-05T09:30:00Z".into()),
            ..source()
        };
        assert!(run_with(s).contains(
            "**[S2] [Talks \\[update\\] resume](https://example.com/a%20%28b%29)** — `news.rss#2` · 2024-03-05T09:30:00Z\nTalks resumed on Monday.\n\n"
        ));
    }

    #[test]
    fn a_teaser_points_to_the_full_text() {
        let s = Source {
            url: Some("https://example.com/a".into()),
            teaser: true,
            ..source()
        };
        assert!(run_with(s).contains(
            "Talks resumed on Monday. _(teaser only; full text at <https://example.com/a>)_"
        ));
        let no_url = Source {
            teaser: true,
            url: Some("javascript:alert(1)".into()),
            ..source()
        };
        let md = run_with(no_url);
        assert!(md.contains("Monday. _(teaser only)_"), "{md}");
        assert!(!md.contains("javascript"), "{md}");
    }

    /// Hostile text in every place `briefing.md` prints one stays text: no raw HTML, no link
    /// but to http(s), no code span or link text opened by the input.
    #[test]
    fn hostile_text_in_a_run_stays_text() {
        let mut doc = sample_document(true);
        let b = &mut doc.briefing;
        b.headline = "<script>alert(1)</script> `x` [a](javascript:b)".into();
        b.points[0].text = "See [here](javascript:alert(5)) <b>now</b>".into();
        b.sources[0].title = Some("<img src=x onerror=alert(2)> [x](javascript:x)".into());
        b.sources[0].url = Some("  JavaScript:alert(1)".into());
        b.sources[0].summary = "Line one.\n[r]: javascript:alert(3)\n<iframe src=x>".into();
        let md = markdown(&doc, true, &Pages::builtin()).unwrap();
        // An escaped bracket (`\]`) cannot close a link text, so only unescaped ones count.
        let live = md.replace("\\]", "");
        for bad in [
            "<script",
            "<img",
            "<iframe",
            "<b>",
            "](javascript",
            "\n[r]:",
            " `x`",
        ] {
            assert!(!live.contains(bad), "{bad} in {md}");
        }
        assert!(
            md.starts_with("# &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` [a\\](javascript:b)\n"),
            "{md}"
        );
    }

    #[test]
    fn the_sample_briefings_pass_the_built_in_check() {
        check(&Pages::builtin()).unwrap();
        // Both samples render what they hold.
        let full = markdown(&sample_document(true), true, &Pages::builtin()).unwrap();
        for part in [
            "> Written by `sample`",
            "- **new** A point. [S1] **(unsupported: a reason)**",
            "  - [S1] 0.90: \"A sentence.\"",
            "## Where sources differ",
            "- **people**: 3 [S1] vs 4 [S1]",
            "_Skipped `copy.txt`: same article as [S1]._",
            "_Not used: b.bin: binary._",
        ] {
            assert!(full.contains(part), "{part} not in {full}");
        }
        let empty = markdown(&sample_document(false), false, &Pages::builtin()).unwrap();
        assert!(
            empty.contains("_No point of the model's briefing"),
            "{empty}"
        );
    }
}
