//! One report run at a time per store: an advisory `flock` on `STORE.lock`. The kernel drops it
//! when the process dies, however it dies, so a killed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: another brief report is running on this store (pid {holder}); try again later or pass --wait")]
    Busy { path: String, holder: String },
    #[error("{path}: cannot lock: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Held for as long as it lives.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file beside a store.
pub fn path_for(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Takes the lock; with `wait`, blocks until the holder finishes, else fails at once with
/// [`LockError::Busy`].
pub fn acquire(path: &Path, wait: bool) -> Result<RunLock, LockError> {
    let io = |source| LockError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) if wait => {
            tracing::info!(
                "waiting for the run holding {} (pid {})",
                path.display(),
                holder(path)
            );
            file.lock().map_err(io)?;
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(LockError::Busy {
                path: path.display().to_string(),
                holder: holder(path),
            })
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // The pid is only for the message a second run prints; the lock itself is the flock.
    use std::io::{Seek, Write};
    let _ = file.set_len(0);
    let _ = file.seek(std::io::SeekFrom::Start(0));
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    Ok(RunLock {
        _file: file,
        path: path.to_path_buf(),
    })
}

fn holder(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("store.sqlite.lock");
        let first = acquire(&p, false).unwrap();
        // flock locks belong to the open file description, so a second open in the same
        // process contends like another process would.
        let err = acquire(&p, false).unwrap_err();
        assert!(matches!(err, LockError::Busy { .. }), "{err}");
        assert!(err.to_string().contains(&std::process::id().to_string()));
        drop(first);
        acquire(&p, false).unwrap();
    }
}
