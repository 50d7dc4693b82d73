//! `brief queue`: the work queue of a shared store, by state, and the items not yet done.

use clap::Args;

use brief::report::store::StoreLocation;

use super::defaults;
use super::report::{open_existing, parse_store, store_or_default};

#[derive(Args)]
pub struct QueueArgs {
    /// The store: a PostgreSQL URL or a SQLite file (default: the XDG data dir).
    #[arg(long, value_name = "URL|PATH", env = "BRIEF_STORE", value_parser = parse_store)]
    store: Option<StoreLocation>,
    /// How many items not yet done to list, oldest first.
    #[arg(long, default_value_t = defaults::QUEUE_ROWS)]
    limit: usize,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// First forget the done items that finished more than DAYS ago (their results stay in
    /// the store); 0 forgets every done item.
    #[arg(long, value_name = "DAYS")]
    prune_days: Option<u64>,
}

pub fn queue(args: QueueArgs) -> anyhow::Result<()> {
    let store = open_existing(&store_or_default(args.store))?;
    if let Some(days) = args.prune_days {
        let age = std::time::Duration::from_secs(days.saturating_mul(86_400));
        let pruned = brief::report::queue::prune_older_than(&store, age)?;
        eprintln!("forgot {pruned} done item(s)");
    }
    let counts = store.queue_counts(None)?;
    let rows = store.queue_rows(args.limit)?;
    if args.json {
        let v = serde_json::json!({ "counts": counts, "items": rows });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "pending {}  leased {}  done {}  failed {}",
        counts.pending, counts.leased, counts.done, counts.failed
    );
    if rows.is_empty() {
        return Ok(());
    }
    println!(
        "{:>7}  {:<7}  {:<12}  {:<7}  {:<24}  {:>8}  {:>6}  error",
        "item", "kind", "article", "state", "worker", "lease s", "fails"
    );
    for r in rows {
        println!(
            "{:>7}  {:<7}  {:<12}  {:<7}  {:<24}  {:>8}  {:>6}  {}",
            r.id,
            r.kind,
            r.article.get(..12).unwrap_or(&r.article),
            r.state,
            r.worker.unwrap_or_default(),
            r.lease_left_ms
                .map_or("-".to_string(), |ms| format!("{:.0}", ms as f64 / 1000.0)),
            r.failures,
            r.error.unwrap_or_default()
        );
    }
    Ok(())
}
