//! Every default of the command line, decided once. The flags show these in `--help` and
//! resolve to them; a subcommand that fixes a value rather than offering the flag (bench's
//! end-to-end run is a plain `brief run`) takes it from here too, so the two cannot drift.
//!
//! Defaults the library owns are referenced, not copied: sampling (`GenParams::default`), the
//! model, the story threshold. Defaults that depend on the input (compare's points and style,
//! eval's style) are chosen by `measure::compare::default_style_and_points`.

use brief::briefing::render::Format;
use brief::briefing::Mode;
use brief::briefing::Style;
use brief::ingest::IngestOptions;
use brief::llm::generate::GenParams;
use brief::llm::manifest;
use brief::llm::model::{DeviceChoice, WeightFormat};

use super::report::ReportFormat;

pub const MODEL: &str = manifest::DEFAULT_MODEL;
/// The model `brief check`, `run` and `report` ask as well as weighing the checker's features
/// ("none": the features alone, the default because a judge costs seconds a sentence; see
/// docs/thresholds.md for what it adds).
pub const JUDGE: &str = "none";
pub const DEVICE: DeviceChoice = DeviceChoice::Cpu;
pub const WEIGHTS: WeightFormat = WeightFormat::Fast;

/// Temperature, seed and repeat penalty: the library's, so that `brief` and a program using
/// the library sample alike.
pub fn sampling() -> GenParams {
    GenParams::default()
}

/// Per article summary.
pub const MAX_TOKENS: usize = 128;
/// The briefing's token budget grows with its points, above a floor.
pub const BRIEFING_TOKENS_PER_POINT: usize = 48;
pub const BRIEFING_MIN_TOKENS: usize = 160;

pub const POINTS: usize = 6;
/// Extractive is the best on the dev data.
pub const MODE: Mode = Mode::Extractive;
pub const STYLE: Style = Style::Briefing;
pub const FORMAT: Format = Format::Markdown;

/// The library's one limit (512 KiB, what its messages call "512 KB"): what finishes within
/// 10 minutes with the default model on 2 cores, far above any news article (see
/// `brief::ingest::DEFAULT_MAX_BYTES` for how it was set).
pub const MAX_BYTES: u64 = brief::ingest::DEFAULT_MAX_BYTES;

/// Reading inputs as a plain `brief run` does.
pub fn ingest() -> IngestOptions {
    IngestOptions {
        max_bytes: MAX_BYTES,
    }
}

/// Page templates: the built-in ones. Unlike `./prompts`, a `./templates` directory is not
/// picked up on its own: the name is common in web projects, and would restyle a report
/// without a word.
pub const TEMPLATES: Option<&str> = None;

pub const REPORT_FORMAT: ReportFormat = ReportFormat::Markdown;
pub const SAME_STORY: f32 = brief::report::stories::SAME_STORY;
pub const HISTORY_LIMIT: usize = 20;

/// How often `brief report --workers-only` looks at the queue, and an idle worker for work.
pub const QUEUE_POLL: std::time::Duration = std::time::Duration::from_millis(500);
/// How long a worker's claim holds without a heartbeat (it beats every third of this): long
/// enough that a busy store does not steal work from live workers, short enough that a killed
/// worker's items wait little.
pub const WORKER_LEASE_SECS: u64 = 60;
/// How long `brief report --workers-only` waits for the queue to drain before it fails (exit
/// 4): a night's work on the cluster sized in the README takes well under this, and a job with
/// no worker running must fail before the next night's starts.
pub const WAIT_TIMEOUT_SECS: u64 = 3600;
/// What a report forgets after this many days: done queue items (a week of bookkeeping to
/// look at with `brief queue`, without growing the table every claim scans) and the sentence
/// vectors of articles no longer coming in (a story that is still news keeps its articles in
/// the input, and so its vectors).
pub const KEEP_DAYS: u64 = 7;
/// Items `brief queue` lists beside the counts.
pub const QUEUE_ROWS: usize = 20;

/// Relative change past which a worse figure is a regression.
pub const TOLERANCE: f64 = 0.05;

pub const BENCH_RUNS: u32 = 3;
pub const BENCH_SEEDS: &str = "seeds";
