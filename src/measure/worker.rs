//! One model's compare or bench in a worker process of this same binary: `brief worker KIND`
//! reads its job as JSON on stdin, logs to stderr as it goes, and prints its answer as JSON on
//! stdout.
//!
//! Why a process per model: `VmHWM` is a process-wide high-water mark, so only a fresh process
//! gives each model its own peak memory figure; and the model's memory is returned to the
//! system before the next one loads.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::llm::registry::ModelSpec;
use crate::pipeline::RunConfig;

/// The hidden subcommand a worker runs as; its one argument is the [`Kind`]'s name.
pub const SUBCOMMAND: &str = "model-worker";

/// The measuring commands that hand work to workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Compare,
    Bench,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Compare, Kind::Bench];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Compare => "compare",
            Kind::Bench => "bench",
        }
    }
}

/// One model's work: the job goes to the worker as JSON, the answer comes back as JSON.
pub trait Job: Serialize + DeserializeOwned {
    const KIND: Kind;
    type Answer: Serialize + DeserializeOwned;

    /// Does the work, in the worker process.
    fn run(&self) -> anyhow::Result<Self::Answer>;
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("{what}: could not start a worker process: {why}")]
    Spawn { what: String, why: String },
    /// The worker failed; `message` is its own last error line, so the user sees the real cause.
    #[error("{what}: {message}")]
    Failed {
        what: String,
        code: Option<i32>,
        message: String,
    },
    #[error("{what}: the worker's answer is not valid JSON: {why}")]
    Answer { what: String, why: String },
}

impl WorkerError {
    /// The worker's own exit status (2 for bad input such as a corrupt model), so the parent
    /// exits the way `brief run` would have.
    pub fn exit_code(&self) -> u8 {
        match self {
            WorkerError::Failed { code: Some(2), .. } => 2,
            _ => 1,
        }
    }
}

/// Log flags the worker should share with its parent.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogFlags {
    pub quiet: bool,
    pub verbose: u8,
}

impl LogFlags {
    fn args(self) -> Vec<OsString> {
        let mut out = Vec::new();
        if self.quiet {
            out.push("--quiet".into());
        }
        for _ in 0..self.verbose {
            out.push("--verbose".into());
        }
        out
    }
}

/// The shared parameters as one model's worker runs them: that model, and no inputs (a worker
/// is handed its articles, or reads them itself).
pub fn config_for(shared: &RunConfig, model: &str) -> RunConfig {
    RunConfig {
        inputs: Vec::new(),
        model: ModelSpec::parse(model),
        ..shared.clone()
    }
}

/// Runs `job` in a worker process and returns its answer; `what` (the model's label) prefixes
/// every error. The worker's stderr (its log lines) is passed through as it comes.
pub fn run<J: Job>(what: &str, job: &J, log: LogFlags) -> Result<J::Answer, WorkerError> {
    let spawn_err = |why: String| WorkerError::Spawn {
        what: what.to_string(),
        why,
    };
    let exe = std::env::current_exe().map_err(|e| spawn_err(e.to_string()))?;
    let input = serde_json::to_vec(job).map_err(|e| spawn_err(e.to_string()))?;
    let mut child = Command::new(exe)
        .args(log.args())
        .arg(SUBCOMMAND)
        .arg(J::KIND.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_err(e.to_string()))?;

    let stderr = child.stderr.take();
    let relay = std::thread::spawn(move || relay_stderr(stderr));
    // The worker reads all of stdin before it writes anything, so writing it whole first
    // cannot deadlock; dropping the handle closes the pipe. A worker that dies early breaks
    // the pipe: its own error, below, says more than the write error would.
    let wrote = match child.stdin.take() {
        Some(mut stdin) => stdin.write_all(&input),
        None => Ok(()),
    };
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        // A read error leaves `out` short; the JSON parse below reports it.
        let _ = stdout.read_to_end(&mut out);
    }
    let status = child.wait().map_err(|e| spawn_err(e.to_string()))?;
    let last_line = relay.join().unwrap_or_default();
    if !status.success() {
        let message = last_line
            .as_deref()
            .map(|l| l.strip_prefix("brief: ").unwrap_or(l).to_string())
            .unwrap_or_else(|| format!("worker exited with {status}"));
        return Err(WorkerError::Failed {
            what: what.to_string(),
            code: status.code(),
            message,
        });
    }
    wrote.map_err(|e| spawn_err(format!("writing the job: {e}")))?;
    serde_json::from_slice(&out).map_err(|e| WorkerError::Answer {
        what: what.to_string(),
        why: e.to_string(),
    })
}

/// Copies the worker's stderr to ours line by line and returns its last line: the error, when
/// the worker fails. That line is held back rather than copied when it is the worker's own
/// `brief: ` error, since the parent prints it again with the model's name.
fn relay_stderr(stderr: Option<std::process::ChildStderr>) -> Option<String> {
    let stderr = stderr?;
    let mut ours = std::io::stderr();
    let mut last: Option<String> = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(prev) = last.replace(line) {
            // A closed stderr of ours must not stop the worker; keep draining its pipe.
            let _ = writeln!(ours, "{prev}");
        }
    }
    if let Some(l) = &last {
        if !l.starts_with("brief: ") {
            let _ = writeln!(ours, "{l}");
        }
    }
    last
}

/// The worker's side, `brief worker KIND`: reads the job from stdin, does it, and writes the
/// answer to stdout, where only the parent reads it.
pub fn serve(kind: Kind) -> anyhow::Result<()> {
    match kind {
        Kind::Compare => serve_job::<crate::measure::compare::Job>(),
        Kind::Bench => serve_job::<crate::measure::bench::Job>(),
    }
}

fn serve_job<J: Job>() -> anyhow::Result<()> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    let job: J = serde_json::from_slice(&buf)?;
    let answer = job.run()?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &answer)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::briefing::Mode;
    use crate::briefing::Style;
    use crate::ingest::IngestOptions;
    use crate::llm::generate::GenParams;
    use crate::llm::model::{DeviceChoice, WeightFormat};

    #[test]
    fn a_run_config_survives_the_trip_to_a_worker() {
        let shared = RunConfig {
            inputs: vec!["seeds".into()],
            model: ModelSpec::parse("ignored"),
            models_dir: "/m".into(),
            offline: true,
            prompts_dir: None,
            templates_dir: None,
            summary_params: GenParams::default(),
            briefing_params: GenParams {
                max_tokens: 240,
                ..GenParams::default()
            },
            points: 5,
            words: Some(120),
            mode: Mode::Hybrid,
            keep_unsupported: true,
            judge: Some(ModelSpec::parse("qwen2.5-coder-1.5b")),
            summaries: false,
            style: Style::Oneline,
            device: DeviceChoice::Cpu,
            weights: WeightFormat::AsFile,
            ingest: IngestOptions { max_bytes: 1234 },
        };
        let cfg = config_for(&shared, "m.gguf");
        let json = serde_json::to_string(&cfg).unwrap();
        let back: RunConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert!(back.inputs.is_empty());
        assert!(matches!(back.model, ModelSpec::Path(ref p) if p.ends_with("m.gguf")));
        assert_eq!(back.weights, WeightFormat::AsFile);
        assert_eq!(back.briefing_params.max_tokens, 240);
        assert_eq!(back.style, Style::Oneline);
        assert_eq!(back.ingest.max_bytes, 1234);
    }
}
