//! Running one unit of work (one model's compare or bench) in a child process of this same
//! binary: a JSON job goes in on stdin, a JSON result comes back on stdout.
//!
//! Why a child per model: `VmHWM` is a process-wide high-water mark, so only a fresh process
//! gives each model its own peak memory figure; and the model's memory is returned to the
//! system before the next one loads.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
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

impl ChildError {
    /// The worker's own exit status (2 for bad input such as a corrupt model), so the parent
    /// exits the way `brief run` would have.
    pub fn exit_code(&self) -> u8 {
        match self {
            ChildError::Failed { code: Some(2), .. } => 2,
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

/// Runs `brief <subcommand>` with `job` on its stdin and parses its stdout. The worker's stderr
/// (its log lines) is passed through as it comes.
pub fn run<J: Serialize, R: DeserializeOwned>(
    what: &str,
    subcommand: &str,
    job: &J,
    log: LogFlags,
) -> Result<R, ChildError> {
    let spawn_err = |why: String| ChildError::Spawn {
        what: what.to_string(),
        why,
    };
    let exe = std::env::current_exe().map_err(|e| spawn_err(e.to_string()))?;
    let input = serde_json::to_vec(job).map_err(|e| spawn_err(e.to_string()))?;
    let mut child = Command::new(exe)
        .args(log.args())
        .arg(subcommand)
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
        return Err(ChildError::Failed {
            what: what.to_string(),
            code: status.code(),
            message,
        });
    }
    wrote.map_err(|e| spawn_err(format!("writing the job: {e}")))?;
    serde_json::from_slice(&out).map_err(|e| ChildError::Answer {
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

/// The worker's side: reads the job from stdin.
pub fn read_job<J: DeserializeOwned>() -> anyhow::Result<J> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(serde_json::from_slice(&buf)?)
}

/// The worker's side: writes the answer to stdout, where only the parent reads it.
pub fn write_answer<R: Serialize>(answer: &R) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, answer)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
