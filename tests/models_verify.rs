//! `brief models verify` through the binary, on a models directory the test makes: a model
//! file described by a local manifest verifies; rewritten in place with its mtime put back it
//! is caught (exit 2, the file named) and `models list` no longer calls it verified.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn brief(models: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env("BRIEF_MODELS", models)
        .env("BRIEF_OFFLINE", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_model_file_corrupted_in_place_with_its_mtime_restored_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path();
    let model_dir = models.join("tiny");
    std::fs::create_dir(&model_dir).unwrap();
    let file = model_dir.join("tiny.gguf");
    brief::testing::write_tiny_llama(&file, 3).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        models.join("tiny.toml"),
        format!(
            "name = \"tiny\"\ndescription = \"test\"\narchitecture = \"llama\"\nrole = \"chat\"\n\
             license = \"none\"\nupstream = \"none\"\nhub_repo = \"none/none\"\n\n[[files]]\n\
             name = \"tiny.gguf\"\nsize = {}\nsha256 = \"{sha}\"\nhub_file = \"tiny.gguf\"\nparts = []\n",
            bytes.len()
        ),
    )
    .unwrap();

    let o = brief(models, &["models", "verify", "tiny"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("ok       "), "{}", text(&o.stdout));
    let list = text(&brief(models, &["models", "list"]).stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("tiny ") && l.contains("verified") && !l.contains("unverified")),
        "{list}"
    );

    // One byte flipped in the middle, same size, mtime put back.
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(bytes.len() as u64 / 2))
            .unwrap();
        f.write_all(&[bytes[bytes.len() / 2] ^ 0xFF]).unwrap();
        f.set_modified(mtime).unwrap();
    }
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), mtime);
    let list = text(&brief(models, &["models", "list"]).stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("tiny ") && l.contains("unverified")),
        "{list}"
    );
    let o = brief(models, &["models", "verify"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("MISMATCH") && out.contains("tiny.gguf"),
        "{out}"
    );
    assert!(
        text(&o.stderr).contains("failed verification"),
        "{}",
        text(&o.stderr)
    );
}
