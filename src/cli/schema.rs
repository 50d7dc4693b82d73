//! `brief schema`: the JSON Schema of each JSON output, generated from the types serde writes,
//! so the schema cannot drift from what the commands print.

use clap::ValueEnum;

/// Which JSON output to describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// `brief run --format json`.
    Run,
    /// A nightly report's `briefing.json`.
    Report,
    /// `brief eval --json FILE`.
    Eval,
    /// `compare.json`.
    Compare,
    /// `brief history --json` (the runs, newest first).
    History,
}

/// The schema of `kind`'s JSON, as a JSON value.
pub fn schema(kind: SchemaKind) -> serde_json::Value {
    let s = match kind {
        SchemaKind::Run => schemars::schema_for!(brief::briefing::Document),
        SchemaKind::Report => schemars::schema_for!(brief::report::NightlyReport),
        SchemaKind::Eval => schemars::schema_for!(brief::measure::eval::EvalReport),
        SchemaKind::Compare => schemars::schema_for!(brief::measure::compare::CompareReport),
        SchemaKind::History => schemars::schema_for!(super::report::HistoryDoc),
    };
    s.to_value()
}

pub fn print(kind: SchemaKind) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&schema(kind))?);
    Ok(())
}
