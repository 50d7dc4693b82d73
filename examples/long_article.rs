//! Bounded work, measured: writes news-like articles of the given sizes and times
//! `brief run` on each, printing wall time, peak memory and the chunk count.
//!
//! ```text
//! cargo build --release && cargo run --release --example long_article -- \
//!     [--sizes 1,2,5] [--model tiny|NAME|PATH] [--max-tokens N] [--dir DIR]
//! ```
//!
//! The text is many distinct sentences (names, places and figures vary from sentence to
//! sentence), not one sentence repeated: deduplication, chunking, the sentence index and the
//! checker all see the work a real long article gives them. `--model tiny` (the default) is
//! the random-weight test model, which writes `--max-tokens` tokens of noise per call; a real
//! model name times what a user waits. Peak memory comes from `/usr/bin/time -v`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FIRST: &[&str] = &[
    "Maria", "Tomas", "Aiko", "Samuel", "Leila", "Piotr", "Grace", "Ibrahim", "Sofia", "Daniel",
    "Amara", "Kenji", "Elena", "Ravi", "Nora", "Felix", "Hana", "Oscar", "Zainab", "Lucas",
];
const LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Haddad",
    "Kowalski",
    "Brennan",
    "Silva",
    "Novak",
    "Ferreira",
    "Mensah",
    "Ivanova",
    "Castillo",
    "Weber",
    "Nakamura",
    "Osei",
];
const PLACES: &[&str] = &[
    "Harbour Street",
    "the northern district",
    "Riverside",
    "the old market",
    "Kingsbridge",
    "the port of Alder",
    "Westfield",
    "the valley road",
    "Marston",
    "the east bank",
];
const BODIES: &[&str] = &[
    "the city council",
    "the transport ministry",
    "the regional court",
    "the water board",
    "the hospital trust",
    "the teachers' union",
    "the police service",
    "the housing agency",
];
const ROLES: &[&str] = &[
    "spokeswoman",
    "deputy mayor",
    "chief engineer",
    "union leader",
    "finance director",
    "resident",
    "shop owner",
    "inspector",
];
const VERBS: &[&str] = &[
    "approved",
    "rejected",
    "postponed",
    "announced",
    "questioned",
    "defended",
    "cut",
    "expanded",
];
const THINGS: &[&str] = &[
    "a budget",
    "a repair plan",
    "new bus routes",
    "a school building programme",
    "flood defences",
    "a rent cap",
    "a hiring freeze",
    "a bridge inspection",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// splitmix64: deterministic, no dependency, good enough to vary text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let who = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let body = rng.pick(BODIES);
    let place = rng.pick(PLACES);
    let n = 2 + rng.below(9_000);
    let day = 1 + rng.below(28);
    let month = rng.pick(MONTHS);
    // Writing to a String cannot fail.
    let _ = match rng.below(6) {
        0 => write!(
            out,
            "On {month} {day}, {body} {} {} worth {n} thousand pounds for {place}.",
            rng.pick(VERBS),
            rng.pick(THINGS)
        ),
        1 => write!(
            out,
            "\"We cannot wait another {} years,\" said {who}, a {} in {place}.",
            2 + rng.below(20),
            rng.pick(ROLES)
        ),
        2 => write!(
            out,
            "{who} told reporters that {n} households in {place} had been affected since {month}."
        ),
        3 => write!(
            out,
            "According to {body}, the work on {} will take {} weeks and employ {} people.",
            rng.pick(THINGS),
            3 + rng.below(50),
            10 + rng.below(400)
        ),
        4 => write!(
            out,
            "Critics including {who} said {body} had {} the plan without asking {place}.",
            rng.pick(VERBS)
        ),
        _ => write!(
            out,
            "By {month} {day} some {n} people had signed a petition in {place}, {who} said."
        ),
    };
}

/// A news-like article of about `bytes` bytes: a title line, then paragraphs of three to six
/// distinct sentences.
pub fn article(bytes: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(bytes + 512);
    out.push_str("Council budget row deepens as districts wait for repairs\n\n");
    while out.len() < bytes {
        for i in 0..3 + rng.below(4) {
            if i > 0 {
                out.push(' ');
            }
            sentence(&mut rng, &mut out);
        }
        out.push_str("\n\n");
    }
    out
}

struct Args {
    sizes: Vec<f64>,
    model: String,
    max_tokens: usize,
    dir: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        sizes: vec![1.0, 2.0, 5.0],
        model: "tiny".into(),
        max_tokens: 16,
        dir: std::env::temp_dir().join("brief-long-article"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sizes" => a.sizes = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--model" => a.model = value,
            "--max-tokens" => a.max_tokens = value.parse()?,
            "--dir" => a.dir = value.into(),
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// A number after `label` in `/usr/bin/time -v`'s report.
fn time_field(report: &str, label: &str) -> Option<String> {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(|v| v.trim().to_string())
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.dir)?;
    let model = if args.model == "tiny" {
        let p = args.dir.join("tiny.gguf");
        brief::testing::write_tiny_llama(&p, 7)?;
        p.display().to_string()
    } else {
        args.model.clone()
    };
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/brief");
    let bin = std::env::var_os("BRIEF_BIN").map_or(bin, PathBuf::from);
    println!("model {model}, --max-tokens {}", args.max_tokens);
    println!("size_MB\tbytes\tsentences~\texit\twall_s\tcpu_s\tpeak_rss_MB\tchunks");
    for mb in &args.sizes {
        let bytes = (mb * 1024.0 * 1024.0) as usize;
        let text = article(bytes, 42 + bytes as u64);
        let file = args.dir.join(format!("long-{mb}mb.txt"));
        std::fs::write(&file, &text)?;
        let out = args.dir.join(format!("long-{mb}mb.json"));
        let log = args.dir.join(format!("long-{mb}mb.log"));
        let t = Instant::now();
        let o = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(["-v", "run"])
            .arg(&file)
            .args(["--model", &model, "--format", "json"])
            .args(["--max-tokens", &args.max_tokens.to_string()])
            .arg("--max-bytes")
            .arg((bytes + 1024 * 1024).to_string())
            .arg("-o")
            .arg(&out)
            // Streamed, so a long run's progress can be watched (`tail -f` the log).
            .stderr(std::fs::File::create(&log)?)
            .status()?;
        let wall = t.elapsed().as_secs_f64();
        let err = std::fs::read_to_string(&log)?;
        let rss_mb = time_field(&err, "Maximum resident set size (kbytes):")
            .and_then(|k| k.parse::<f64>().ok())
            .map_or("?".into(), |k| format!("{:.0}", k / 1024.0));
        // CPU seconds say what the work costs whatever else the machine is running; on idle
        // cores the wall time is about this divided by the threads.
        let cpu = ["User time (seconds):", "System time (seconds):"]
            .iter()
            .filter_map(|l| time_field(&err, l)?.parse::<f64>().ok())
            .sum::<f64>();
        let chunks = std::fs::read(&out)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["sources"][0]["chunks"].as_u64())
            .map_or("?".into(), |c| c.to_string());
        println!(
            "{mb}\t{}\t{}\t{}\t{wall:.1}\t{cpu:.1}\t{rss_mb}\t{chunks}",
            text.len(),
            text.matches(". ").count() + text.matches(".\n").count(),
            o.code().map_or("signal".into(), |c| c.to_string()),
        );
        println!("  log: {}", log.display());
    }
    Ok(())
}
