//! brief: local, attributed news briefings with small open models through candle.
//!
//! Data flows one way: [`ingest`] → [`summarize`] → [`consolidate`] → [`attribute`] → [`render`];
//! [`pipeline`] runs them in order, and the binary is a thin CLI over it.

pub mod atomic;
pub mod attribute;
pub mod bench;
pub mod chat_template;
pub mod child;
pub mod compare;
pub mod consolidate;
pub mod disagree;
pub mod embed;
pub mod eval;
pub mod evidence;
pub mod fetch;
pub mod generate;
pub mod ingest;
pub mod job;
pub mod lock;
pub mod machine;
pub mod manifest;
pub mod model;
pub mod models;
pub mod pipeline;
pub mod prompts;
pub mod render;
pub mod report;
pub mod rouge;
pub mod sentences;
pub mod store;
pub mod stories;
pub mod summarize;
pub mod tiny;
pub mod tokenizer;

/// The exit status for an error: 2 when the input or the command line is at fault (bad file,
/// unknown model, corrupt weights, broken template), 75 when another report run holds the
/// store's lock, 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    // A worker process's status, or 3 for a comparison that regressed, passes through as is.
    for c in e.chain() {
        if let Some(lock::LockError::Busy { .. }) = c.downcast_ref::<lock::LockError>() {
            // EX_TEMPFAIL: schedulers read it as "try again later", not as a failure.
            return 75;
        }
        if let Some(c) = c.downcast_ref::<compare::CompareError>() {
            return c.exit_code();
        }
        if let Some(c) = c.downcast_ref::<child::ChildError>() {
            return c.exit_code();
        }
    }
    let bad_input = e.chain().any(|c| {
        c.is::<ingest::IngestError>()
            || c.is::<eval::EvalError>()
            || c.is::<sentences::SentenceError>()
            || c.is::<manifest::ManifestError>()
            || c.is::<prompts::PromptError>()
            || c.is::<pipeline::InputError>()
            || matches!(
                c.downcast_ref::<model::ModelError>(),
                Some(
                    model::ModelError::Open { .. }
                        | model::ModelError::NotGguf { .. }
                        | model::ModelError::Architecture { .. }
                        | model::ModelError::Tokenizer { .. }
                        | model::ModelError::NoCuda
                )
            )
            || matches!(
                c.downcast_ref::<fetch::FetchError>(),
                Some(fetch::FetchError::Checksum { .. } | fetch::FetchError::Size { .. })
            )
    });
    if bad_input {
        2
    } else {
        1
    }
}
