//! How a failed run ends: one line on stderr and an exit status a script can act on.

use brief::llm::fetch::FetchError;
use brief::llm::model::ModelError;
use brief::measure::compare::CompareError;
use brief::measure::worker::WorkerError;
use brief::report::lock::LockError;
use brief::report::queue::DrainError;

/// The error and its causes on one line, each cause once: a cause's text often repeats in the
/// message of the error that wraps it.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// The exit status for an error: 2 when the input or the command line is at fault (bad file,
/// unknown model, corrupt weights, broken template), 75 when another report run holds the
/// store's lock, 4 when `--workers-only` gave up waiting for the queue, 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    // A worker process's status, or 3 for a comparison that regressed, passes through as is.
    for c in e.chain() {
        if let Some(LockError::Busy { .. }) = c.downcast_ref::<LockError>() {
            // EX_TEMPFAIL: schedulers read it as "try again later", not as a failure.
            return 75;
        }
        if let Some(DrainError::TimedOut { .. }) = c.downcast_ref::<DrainError>() {
            return 4;
        }
        if let Some(c) = c.downcast_ref::<CompareError>() {
            return c.exit_code();
        }
        if let Some(c) = c.downcast_ref::<WorkerError>() {
            return c.exit_code();
        }
    }
    let bad_input = e.chain().any(|c| {
        c.is::<brief::ingest::IngestError>()
            || c.is::<super::config::ConfigError>()
            || c.is::<super::check::CheckUsage>()
            || c.is::<brief::pipeline::UncalibratedJudge>()
            || c.is::<brief::measure::eval::EvalError>()
            || c.is::<brief::measure::rouge::punkt::PunktError>()
            || c.is::<brief::llm::manifest::ManifestError>()
            || c.is::<brief::llm::prompts::PromptError>()
            || c.is::<brief::briefing::pages::PageError>()
            || c.is::<super::models::VerifyFailed>()
            || c.is::<brief::llm::registry::ResolveError>()
            || c.is::<brief::atomic::DestinationError>()
            || matches!(
                c.downcast_ref::<ModelError>(),
                Some(
                    ModelError::Open { .. }
                        | ModelError::NotGguf { .. }
                        | ModelError::Architecture { .. }
                        | ModelError::Tokenizer { .. }
                        | ModelError::NoCuda
                )
            )
            || matches!(
                c.downcast_ref::<brief::measure::bench::BenchError>(),
                Some(brief::measure::bench::BenchError::LlamaBenchPath { .. })
            )
            || matches!(
                c.downcast_ref::<FetchError>(),
                Some(FetchError::Checksum { .. } | FetchError::Size { .. })
            )
    });
    if bad_input {
        2
    } else {
        1
    }
}
