//! The build's identity: the crate version, the git commit, and whether the tree had
//! uncommitted changes. `--version` prints it and the nightly report keys its story cache on
//! it, so a binary rebuilt from changed code does not reuse stories the old one wrote.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let build = match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            rerun_on_git_changes();
            let status = git(&["status", "--porcelain"]).unwrap_or_default();
            if status.is_empty() {
                format!("{version} ({commit})")
            } else {
                // Two different sets of uncommitted edits must not share a cache key.
                let diff = git(&["diff", "HEAD"]).unwrap_or_default();
                let mut h = DefaultHasher::new();
                (status, diff).hash(&mut h);
                format!("{version} ({commit}, dirty {:08x})", h.finish() as u32)
            }
        }
        // A source tarball (`cargo install` from crates.io): the version is all there is.
        _ => format!("{version} (commit unknown)"),
    };
    println!("cargo:rustc-env=BRIEF_BUILD={build}");
}

/// A commit moves the branch's ref (or packed-refs), a checkout moves HEAD, staging changes the
/// index, and an edit changes the sources; `git rev-parse --git-path` finds each file in a
/// worktree too, where `.git` is a file.
fn rerun_on_git_changes() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut paths = vec!["HEAD".to_string(), "index".into(), "packed-refs".into()];
    if let Some(r) = git(&["rev-parse", "--symbolic-full-name", "HEAD"]) {
        if r.starts_with("refs/") {
            paths.push(r);
        }
    }
    for p in paths {
        if let Some(path) = git(&["rev-parse", "--git-path", &p]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    for dir in ["src", "crates", "prompts", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
