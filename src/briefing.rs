//! One briefing: the types every command produces — `run` prints a [`Document`], a nightly
//! report is a list of [`Briefing`]s with "new" marks, `compare` and `eval` keep one
//! [`Briefing`] per model and example — and the renderers that print them ([`render`]).
//!
//! The JSON of every command is these types through serde, with [`SCHEMA_VERSION`] at the top
//! of each document.

pub mod pages;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::ingest::{ArticleId, Refused, Skipped};
use crate::llm::generate::{GenParams, Usage};

/// The version of the JSON every command writes. Bump it when a field changes meaning or
/// goes away; new optional fields keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// The briefing of one set of sources: its headline, the sources with their checked summaries,
/// the evidence-checked points, what was dropped, and where the sources differ.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Briefing {
    pub headline: String,
    pub sources: Vec<Source>,
    /// One checked sentence that says what happened, read before the points: the
    /// best-supported consensus statement (the first of the chosen points, taken out of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lede: Option<Point>,
    pub points: Vec<Point>,
    #[serde(default)]
    pub dropped: Vec<Dropped>,
    #[serde(default)]
    pub disagreements: Vec<Disagreement>,
    #[serde(default)]
    pub stats: Stats,
}

impl Briefing {
    /// The lede, then the points.
    pub fn statements(&self) -> impl Iterator<Item = &Point> {
        self.lede.iter().chain(&self.points)
    }

    /// The text `eval` scores: the lede and the points, one per line.
    pub fn text(&self) -> String {
        self.statements()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How the briefing's points are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The model's points, checked, then the best-supported source sentences.
    Hybrid,
    /// Only source sentences, chosen by support across sources and position.
    Extractive,
    /// Only the model's points, checked.
    Abstractive,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Hybrid, Mode::Extractive, Mode::Abstractive];

    /// The name the command line takes and JSON holds.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Hybrid => "hybrid",
            Mode::Extractive => "extractive",
            Mode::Abstractive => "abstractive",
        }
    }
}

/// How long a summary should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A few sentences per article, and a briefing of several points.
    Briefing,
    /// One sentence.
    Oneline,
}

impl Style {
    pub const ALL: [Style; 2] = [Style::Briefing, Style::Oneline];

    /// The name the command line takes and JSON holds.
    pub fn name(self) -> &'static str {
        match self {
            Style::Briefing => "briefing",
            Style::Oneline => "oneline",
        }
    }

    pub fn sentences(self) -> usize {
        match self {
            Style::Briefing => 3,
            Style::Oneline => 1,
        }
    }
}

/// One source article of a briefing; its id (`S1`…) is the briefing's own.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Source {
    pub id: ArticleId,
    pub path: String,
    #[serde(default)]
    pub title: Option<String>,
    /// The article's own summary, every sentence of it checked against the article.
    pub summary: String,
    /// The summary sentence by sentence, each with the checker's verdict and its evidence in
    /// the article (empty where no summary was asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<SummarySentence>,
    /// How many parts a long article was summarized in (1 for most; 0 when no summary was
    /// asked for).
    #[serde(default)]
    pub chunks: usize,
    pub content_hash: String,
    /// From the article: see [`crate::ingest::Article`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub teaser: bool,
    /// Not in the previous nightly report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new: bool,
}

/// One sentence of an article's summary, as checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SummarySentence {
    /// What the briefing prints: the model's sentence, or the article sentence that replaced
    /// it.
    pub text: String,
    /// The checker's verdict on the model's sentence.
    pub verdict: Verdict,
    /// The model's sentence, where the checker found it unsupported and `text` is the
    /// article's own best sentence instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
}

/// The checker's decision on one statement (`crate::check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    pub supported: bool,
    /// Calibrated probability that the sources support the statement.
    pub score: f32,
    pub reason: Reason,
    /// The window the decision rests on: one sentence of one source, or two adjacent ones
    /// (each with its cosine to the statement).
    pub evidence: Vec<Evidence>,
}

/// Why a statement is or is not supported: the first failed requirement, in the order a
/// reader would want to hear it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    Supported,
    /// A quotation the source does not contain verbatim.
    MissingQuote {
        quote: String,
    },
    /// A figure (number, date) that no sentence of the source contains.
    MissingFigure {
        figure: String,
    },
    /// A figure the source has, but not in the sentences that support the rest of the claim:
    /// a true date or count attached to another event.
    MisplacedFigure {
        figure: String,
    },
    /// A name the evidence does not mention.
    MissingEntity {
        entity: String,
    },
    /// The claim's speaker or actor is not the one in the evidence.
    WrongActor {
        actor: String,
    },
    /// Negated in one and not the other (denied / confirmed, not / did).
    ReversedPolarity,
    /// The evidence hedges (alleged, may, planned) and the claim does not, or the reverse.
    LostHedge,
    /// Words of the claim that no sentence of the source uses.
    NewWords {
        words: Vec<String>,
    },
    /// Nothing specific fails, but the evidence is too weak overall.
    WeakEvidence,
}

impl Reason {
    /// One line for a reader.
    pub fn describe(&self) -> String {
        match self {
            Reason::Supported => "supported".into(),
            Reason::MissingQuote { quote } => format!("quotation not in the source: \"{quote}\""),
            Reason::MissingFigure { figure } => format!("figure not in the source: {figure}"),
            Reason::MisplacedFigure { figure } => {
                format!("{figure} is in the source, but not in the sentence that supports the rest")
            }
            Reason::MissingEntity { entity } => format!("not in the evidence: {entity}"),
            Reason::WrongActor { actor } => format!("the evidence does not give this to {actor}"),
            Reason::ReversedPolarity => "the evidence says the opposite (negation)".into(),
            Reason::LostHedge => "the evidence hedges (alleged, may, planned) differently".into(),
            Reason::NewWords { words } => {
                format!("words no source sentence uses: {}", words.join(", "))
            }
            Reason::WeakEvidence => "no sentence of the source says this".into(),
        }
    }
}

/// Where a point's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written by the model and supported as written.
    Model,
    /// Written by the model but unsupported or ungrounded, so replaced by its best source
    /// sentence.
    Repaired,
    /// A source sentence chosen for the briefing.
    Extracted,
}

/// One statement of a briefing, with the sources that support it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Point {
    pub text: String,
    pub sources: Vec<ArticleId>,
    pub origin: Origin,
    /// The supporting sentence in each cited source, best first.
    pub evidence: Vec<Evidence>,
    /// True when every figure and quotation appears in a cited source.
    pub grounded: bool,
    /// Set only with `keep_unsupported`: the point failed its checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
    /// The claim checker's verdict against the cited sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Not in the previous nightly report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new: bool,
    /// Where the point's best sentence sits in its article, and the point's embedding: what
    /// `attribute` orders and merges points by, never written out.
    #[serde(skip)]
    pub(crate) position: usize,
    #[serde(skip)]
    pub(crate) embedding: Vec<f32>,
}

impl Point {
    /// A statement that no check has seen (a one-line summary of a whole article): no
    /// sources, no evidence.
    pub fn unchecked(text: String) -> Self {
        Point {
            text,
            sources: Vec::new(),
            origin: Origin::Model,
            evidence: Vec::new(),
            grounded: false,
            unsupported: None,
            verdict: None,
            new: false,
            position: usize::MAX,
            embedding: Vec::new(),
        }
    }
}

/// A statement's support in one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    pub source: ArticleId,
    pub sentence: String,
    pub score: f32,
}

/// A drafted point the tool would not print, and why.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Dropped {
    pub text: String,
    pub reason: String,
}

/// How the points were checked: figures for `brief eval` and the run record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Stats {
    pub drafted: usize,
    pub drafted_supported: usize,
    pub repaired: usize,
    pub dropped: usize,
    pub points: usize,
    pub points_with_evidence: usize,
    pub figures: usize,
    pub figures_grounded: usize,
    pub citations: usize,
    /// Points the claim checker supports against their cited sources.
    #[serde(default)]
    pub checked_supported: usize,
    /// Pairs of points that state the same fact (the checker finds one supported by the
    /// other, or their meanings nearly coincide).
    #[serde(default)]
    pub redundant_pairs: usize,
    /// Sentences of the per-article summaries, those the checker supported, and those it
    /// replaced with the article's own sentence.
    #[serde(default)]
    pub summary_sentences: usize,
    #[serde(default)]
    pub summary_supported: usize,
    #[serde(default)]
    pub summary_replaced: usize,
}

impl Stats {
    /// Adds another briefing's figures (eval and compare sum them over examples).
    pub fn add(&mut self, s: &Stats) {
        self.drafted += s.drafted;
        self.drafted_supported += s.drafted_supported;
        self.repaired += s.repaired;
        self.dropped += s.dropped;
        self.points += s.points;
        self.points_with_evidence += s.points_with_evidence;
        self.figures += s.figures;
        self.figures_grounded += s.figures_grounded;
        self.citations += s.citations;
        self.checked_supported += s.checked_supported;
        self.redundant_pairs += s.redundant_pairs;
        self.summary_sentences += s.summary_sentences;
        self.summary_supported += s.summary_supported;
        self.summary_replaced += s.summary_replaced;
    }
}

/// Sources that give one fact different values.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Disagreement {
    pub kind: DisagreementKind,
    /// What the values are of: the word after the number, the month for dates, "place of the
    /// <event>", "role of <person>" or "who is the <role>".
    pub about: String,
    pub sides: Vec<Side>,
}

/// One value of a disagreement and the sources that give it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Side {
    pub value: String,
    pub sources: Vec<ArticleId>,
    pub sentence: String,
}

/// What sort of fact the sources differ on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DisagreementKind {
    Count,
    Date,
    Distance,
    Place,
    Role,
}

/// An input that could not be used; the run goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejected {
    pub path: String,
    pub reason: String,
}

impl From<&Refused> for Rejected {
    fn from(r: &Refused) -> Self {
        Rejected {
            path: r.path.clone(),
            reason: r.error.to_string(),
        }
    }
}

/// What `brief run` writes: one briefing of every input, what was left out, and the record of
/// the run. In JSON the sources stand beside the briefing (`sources`, `briefing.points`), as
/// they always have.
#[derive(Debug, Clone)]
pub struct Document {
    pub briefing: Briefing,
    pub skipped: Vec<Skipped>,
    pub rejected: Vec<Rejected>,
    pub run: RunRecord,
}

/// [`Document`]'s JSON shape.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct DocumentWire {
    schema_version: u32,
    sources: Vec<Source>,
    #[serde(default)]
    skipped: Vec<Skipped>,
    #[serde(default)]
    rejected: Vec<Rejected>,
    briefing: BriefingWire,
    run: RunRecord,
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct BriefingWire {
    headline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lede: Option<Point>,
    points: Vec<Point>,
    #[serde(default)]
    dropped: Vec<Dropped>,
    #[serde(default)]
    disagreements: Vec<Disagreement>,
    #[serde(default)]
    stats: Stats,
}

/// [`Document`] is written through [`DocumentWire`], so its schema is that one's.
impl schemars::JsonSchema for Document {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Document".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        DocumentWire::json_schema(g)
    }
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = &self.briefing;
        DocumentWire {
            schema_version: SCHEMA_VERSION,
            sources: b.sources.clone(),
            skipped: self.skipped.clone(),
            rejected: self.rejected.clone(),
            briefing: BriefingWire {
                headline: b.headline.clone(),
                lede: b.lede.clone(),
                points: b.points.clone(),
                dropped: b.dropped.clone(),
                disagreements: b.disagreements.clone(),
                stats: b.stats.clone(),
            },
            run: self.run.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = DocumentWire::deserialize(d)?;
        Ok(Document {
            briefing: Briefing {
                headline: w.briefing.headline,
                sources: w.sources,
                lede: w.briefing.lede,
                points: w.briefing.points,
                dropped: w.briefing.dropped,
                disagreements: w.briefing.disagreements,
                stats: w.briefing.stats,
            },
            skipped: w.skipped,
            rejected: w.rejected,
            run: w.run,
        })
    }
}

/// What made a briefing: the model, the prompts, the parameters, tokens and time.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunRecord {
    pub version: String,
    pub model: crate::llm::registry::ModelInfo,
    pub prompts: PromptsRecord,
    pub params: Params,
    pub tokens: Usage,
    pub timings: Timings,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromptsRecord {
    pub origin: String,
    pub hashes: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Params {
    pub summary: GenParams,
    pub briefing: GenParams,
    pub points: usize,
    pub words: Option<usize>,
    pub mode: Mode,
    pub style: Style,
    /// The model whose answers joined the checker's features, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Timings {
    pub load_secs: f64,
    pub ingest_secs: f64,
    pub summarize_secs: f64,
    pub briefing_secs: f64,
    pub total_secs: f64,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::generate::GenParams;

    fn document() -> Document {
        let source = Source {
            id: ArticleId(1),
            path: "a.txt".into(),
            title: Some("A".into()),
            summary: "It rained.".into(),
            sentences: Vec::new(),
            chunks: 1,
            content_hash: "h".into(),
            url: None,
            published: None,
            teaser: false,
            new: false,
        };
        Document {
            briefing: Briefing {
                headline: "Rain".into(),
                sources: vec![source],
                points: vec![Point {
                    sources: vec![ArticleId(1)],
                    ..Point::unchecked("It rained on Monday.".into())
                }],
                ..Briefing::default()
            },
            skipped: vec![],
            rejected: vec![Rejected {
                path: "b.bin".into(),
                reason: "b.bin: binary".into(),
            }],
            run: RunRecord {
                version: "0".into(),
                model: crate::llm::registry::ModelInfo {
                    name: "m".into(),
                    path: "m.gguf".into(),
                    sha256: "0".repeat(64),
                    architecture: "llama".into(),
                    role: crate::llm::manifest::Role::Chat,
                    weights: crate::llm::model::WeightFormat::Fast,
                    device: crate::llm::model::DeviceChoice::Cpu,
                    load_secs: 0.5,
                },
                prompts: PromptsRecord {
                    origin: "built in".into(),
                    hashes: Default::default(),
                },
                params: Params {
                    summary: GenParams::default(),
                    briefing: GenParams::default(),
                    points: 6,
                    words: None,
                    mode: Mode::Extractive,
                    style: Style::Briefing,
                    judge: None,
                },
                tokens: Usage::default(),
                timings: Timings::default(),
            },
        }
    }

    #[test]
    fn a_document_keeps_its_json_shape_and_reads_back() {
        let json = serde_json::to_value(document()).unwrap();
        assert_eq!(json["schema_version"], SCHEMA_VERSION);
        assert_eq!(json["sources"][0]["summary"], "It rained.");
        assert_eq!(json["briefing"]["points"][0]["sources"][0], "S1");
        assert!(json["briefing"].get("sources").is_none());
        // Working state of attribute and unset marks stay out of the JSON.
        let point = &json["briefing"]["points"][0];
        assert!(point.get("position").is_none() && point.get("new").is_none());
        let back: Document = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }
}
