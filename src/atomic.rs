//! Writing files so that a reader (or a crash) never sees half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a destination was refused before any work was done.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error("{}: is the input {}; refusing to overwrite an input", path.display(), input.display())]
    IsInput { path: PathBuf, input: PathBuf },
    #[error("{}: is inside the input directory {}; refusing to write among the inputs", path.display(), input.display())]
    InsideInput { path: PathBuf, input: PathBuf },
    #[error("{}: cannot be written: {why}", path.display())]
    Unwritable { path: PathBuf, why: String },
}

/// Writes `contents` to a temp file beside `path`, syncs it, and renames it over `path`.
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".brief-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    // Temp files are created private (0600); a report is meant to be read, by a web server
    // among others, like any file the user writes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename lives in the directory; until that is synced a crash can bring back the old
    // file (or none) even though the new contents were synced.
    sync_dir(dir)
}

/// Syncs a directory's entries (a no-op where directories cannot be opened, as on Windows).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A path made absolute and free of symlinks as far as it exists; the rest is appended as
/// given, so a file not written yet can still be compared with the inputs.
fn resolve(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(real) = cur.canonicalize() {
            return rest.iter().rev().fold(real, |p: PathBuf, c| p.join(c));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// Refuses `dest` (a file when `dir` is false, a directory to create files in otherwise) when
/// it is one of `inputs` or inside an input directory, or when it cannot be written: all before
/// the work, so a mistyped `-o` neither replaces an article nor wastes a model run.
pub fn check_destination(
    dest: &Path,
    dir: bool,
    inputs: &[PathBuf],
) -> Result<(), DestinationError> {
    let target = resolve(dest);
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        if real == target {
            return Err(DestinationError::IsInput {
                path: dest.to_path_buf(),
                input: input.clone(),
            });
        }
        if real.is_dir() && target.starts_with(&real) {
            return Err(DestinationError::InsideInput {
                path: dest.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    let unwritable = |why: String| DestinationError::Unwritable {
        path: dest.to_path_buf(),
        why,
    };
    if !dir && target.is_dir() {
        return Err(unwritable("is a directory".into()));
    }
    if dir && target.exists() && !target.is_dir() {
        return Err(unwritable("is not a directory".into()));
    }
    // Where the first file (or directory) will be created: the nearest part that exists.
    let mut probe = if dir {
        target.as_path()
    } else {
        target.parent().unwrap_or(Path::new("/"))
    };
    while !probe.exists() {
        if !dir {
            return Err(unwritable(format!("{} does not exist", probe.display())));
        }
        probe = probe.parent().unwrap_or(Path::new("/"));
    }
    if !probe.is_dir() {
        return Err(unwritable(format!(
            "{} is not a directory",
            probe.display()
        )));
    }
    tempfile::Builder::new()
        .prefix(".brief-")
        .suffix(".tmp")
        .tempfile_in(probe)
        .map(drop)
        .map_err(|e| unwritable(format!("{}: {e}", probe.display())))
}

/// Removes temp files that [`write`] left in `dir` when its process was killed mid-write.
/// Only for callers that know no other writer is active there.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".brief-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_or_a_path_inside_an_input_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, "text").unwrap();
        let inputs = vec![a.clone(), dir.path().join("b.txt")];
        let e = check_destination(&a, false, &inputs).unwrap_err();
        assert!(matches!(e, DestinationError::IsInput { .. }), "{e}");
        // The same file by another spelling.
        let other = dir.path().join(".").join("a.txt");
        assert!(check_destination(&other, false, &inputs).is_err());
        let in_dir = vec![dir.path().to_path_buf()];
        let e = check_destination(&dir.path().join("out").join("x.md"), false, &in_dir);
        assert!(
            matches!(e, Err(DestinationError::InsideInput { .. })),
            "{e:?}"
        );
        let e = check_destination(&dir.path().join("reports"), true, &in_dir);
        assert!(
            matches!(e, Err(DestinationError::InsideInput { .. })),
            "{e:?}"
        );
        assert!(check_destination(&dir.path().join("c.md"), false, &inputs).is_ok());
        assert!(check_destination(&dir.path().join("new/deeper"), true, &inputs).is_ok());
        // The probe leaves nothing behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unwritable_destination_is_found_before_the_work() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/out.md");
        let e = check_destination(&missing, false, &[]).unwrap_err();
        assert!(matches!(e, DestinationError::Unwritable { .. }), "{e}");
        let e = check_destination(dir.path(), false, &[]).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = check_destination(&file, true, &[]).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        let e = check_destination(&file.join("x.md"), false, &[]).unwrap_err();
        assert!(matches!(e, DestinationError::Unwritable { .. }), "{e}");
    }

    #[test]
    fn replaces_whole_files_and_leaves_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.md");
        super::write(&p, b"first").unwrap();
        super::write(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
