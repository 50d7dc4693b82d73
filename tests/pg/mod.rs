//! A throwaway PostgreSQL server for a test: `initdb` into a temp directory, `pg_ctl start` on
//! a free loopback port, stopped (immediately, nothing to keep) when dropped.
//!
//! PostgreSQL refuses to run as root, so under root the server runs as `nobody`. Where the
//! server is not installed the test is skipped with a message, except under CI, where that is a
//! failure: CI installs it (`scripts/test`).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgServer {
    _dir: tempfile::TempDir,
    data: PathBuf,
    pg_ctl: PathBuf,
    as_user: Option<&'static str>,
    pub url: String,
}

/// `initdb` on PATH, else Debian's versioned directory.
fn bin_dir() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if d.join("initdb").is_file() && d.join("pg_ctl").is_file() {
                return Some(d);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(as_user: Option<&str>, program: &Path, args: &[&str]) -> std::process::Output {
    let mut c = match as_user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    c.args(args)
        .env_remove("PGDATA")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
}

impl PgServer {
    /// A running server, or None (with a message) where PostgreSQL is not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but PostgreSQL (initdb, pg_ctl) is not installed; scripts/test installs it"
            );
            eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
            return None;
        };
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let as_user = root.then_some("nobody");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("pg");
        std::fs::create_dir(&data).unwrap();
        if root {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let o = Command::new("chown")
                .args(["nobody:", data.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(o.status.success(), "chown: {o:?}");
        }
        let d = data.to_str().unwrap();
        let o = run(
            as_user,
            &bin.join("initdb"),
            &[
                "-D",
                d,
                "-U",
                "brief",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(
            o.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let port = free_port();
        let opts = format!(
            "-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        );
        let log = data.join("server.log");
        let o = run(
            as_user,
            &bin.join("pg_ctl"),
            &[
                "-D",
                d,
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        assert!(
            o.status.success(),
            "pg_ctl start: {} {}",
            String::from_utf8_lossy(&o.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Self {
            _dir: dir,
            data,
            pg_ctl: bin.join("pg_ctl"),
            as_user,
            url: format!("postgres://brief@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = run(
            self.as_user,
            &self.pg_ctl,
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}
