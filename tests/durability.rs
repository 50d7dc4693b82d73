//! A written briefing survives a power cut: the file is synced, renamed into place, and then
//! the directory holding the rename is synced, without which a crash can bring back the old
//! file (or none) after brief said it was written. What the process asked the kernel is read
//! off `strace`, so the test sees the real system calls of the real binary; CI installs
//! strace (`scripts/test`), elsewhere the test says it was skipped.

use std::path::Path;
use std::process::Command;

/// One system call as strace printed it: `PID name(args) = result`.
struct Call<'a> {
    pid: &'a str,
    name: &'a str,
    args: &'a str,
    result: &'a str,
}

fn parse(line: &str) -> Option<Call<'_>> {
    let (pid, rest) = line.split_once(' ')?;
    let (name, rest) = rest.trim_start().split_once('(')?;
    // strace pads short calls: `fsync(3)       = 0`.
    let (call, result) = rest.rsplit_once(" = ")?;
    Some(Call {
        pid,
        name,
        args: call.trim_end().strip_suffix(')')?,
        result: result.split_whitespace().next()?,
    })
}

fn have_strace() -> bool {
    Command::new("strace")
        .args(["-qq", "-e", "trace=none", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_directory_is_synced_after_the_briefing_is_renamed_into_it() {
    if !have_strace() {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is missing or cannot trace under CI; scripts/test installs it"
        );
        eprintln!("skipped: strace is not installed or cannot trace here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    brief::testing::write_tiny_llama(&model, 3).unwrap();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("briefing.md");
    let trace = dir.path().join("trace.txt");
    let o = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=openat,rename,renameat,renameat2,fsync,fdatasync",
        ])
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_brief"))
        .arg("run")
        .arg(&seeds)
        .arg("--model")
        .arg(&model)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run strace");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.exists());
    let text = std::fs::read_to_string(&trace).unwrap();
    let calls: Vec<Call> = text.lines().filter_map(parse).collect();

    let out_s = out.to_str().unwrap();
    let dir_s = out_dir.to_str().unwrap();
    let rename = calls
        .iter()
        .position(|c| {
            c.name.starts_with("rename")
                && c.result == "0"
                && c.args.contains(&format!("\"{out_s}\""))
        })
        .unwrap_or_else(|| panic!("no rename onto {out_s} in the trace:\n{text}"));
    let renamed_by = calls[rename].pid;
    // The temp file itself was synced before the rename.
    assert!(
        calls[..rename]
            .iter()
            .any(|c| c.pid == renamed_by && c.name == "fsync" && c.result == "0"),
        "no fsync before the rename:\n{text}"
    );
    // After the rename, the same thread opens the directory and syncs that descriptor.
    let after = &calls[rename + 1..];
    let fd = after
        .iter()
        .find(|c| {
            c.pid == renamed_by
                && c.name == "openat"
                && c.args.contains(&format!("\"{dir_s}\""))
                && c.result.parse::<i32>().is_ok_and(|fd| fd >= 0)
        })
        .map(|c| c.result)
        .unwrap_or_else(|| panic!("{dir_s} was not opened after the rename:\n{text}"));
    assert!(
        after
            .iter()
            .any(|c| c.pid == renamed_by && c.name == "fsync" && c.args == fd && c.result == "0"),
        "the directory (fd {fd}) was not synced after the rename:\n{text}"
    );
}
