//! The shared backend: a PostgreSQL server, for workers on many machines. Plain TCP; put the
//! server on a private network or tunnel it, as for any database the cluster uses.

use std::str::FromStr;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::{Backend, DbError, Dialect, Row, Value};
use crate::report::lock::LockError;

pub struct Postgres {
    client: Client,
    /// Statements by their text: each is planned once per connection.
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

/// The server's own message where it sent one: the crate's display is only "db error".
pub(super) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn config(url: &str, application: &str) -> Result<postgres::Config, DbError> {
    let mut c = postgres::Config::from_str(url)?;
    c.application_name(application);
    if c.get_connect_timeout().is_none() {
        c.connect_timeout(std::time::Duration::from_secs(30));
    }
    Ok(c)
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let mut client = config(url, "brief")?.connect(NoTls)?;
        // "relation already exists, skipping" on every start is noise, not news.
        client.batch_execute("SET client_min_messages TO warning")?;
        Ok(Self {
            client,
            prepared: Default::default(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// Model output may hold any character, NUL included, which a PostgreSQL `TEXT` refuses; such
/// columns are `BYTEA` there, and text bound to them goes as its UTF-8 bytes.
fn coerce(stmt: &postgres::Statement, values: &[Value]) -> Vec<Value> {
    values
        .iter()
        .zip(stmt.params())
        .map(|(v, ty)| match v {
            Value::Text(t) if *ty == Type::BYTEA => Value::Blob(t.clone().map(String::into_bytes)),
            v => v.clone(),
        })
        .collect()
}

fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| match v {
            Value::Int(n) => n as &(dyn ToSql + Sync),
            Value::Text(t) => t as &(dyn ToSql + Sync),
            Value::Blob(b) => b as &(dyn ToSql + Sync),
        })
        .collect()
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, DbError> {
        let stmt = self.statement(sql)?;
        let values = coerce(&stmt, values);
        Ok(self.client.execute(&stmt, &params(&values))?)
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let values = coerce(&stmt, values);
        let rows = self.client.query(&stmt, &params(&values))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut values = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                values.push(match *col.type_() {
                    Type::INT8 => Value::Int(r.try_get(i)?),
                    Type::INT4 => Value::Int(r.try_get::<_, Option<i32>>(i)?.map(i64::from)),
                    Type::BOOL => Value::Int(r.try_get::<_, Option<bool>>(i)?.map(i64::from)),
                    Type::BYTEA => Value::Blob(r.try_get(i)?),
                    _ => Value::Text(r.try_get(i)?),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.client.batch_execute(sql)?)
    }
}

/// The advisory lock key of `brief report` ("brief" in ASCII): one report at a time per
/// database, whichever machine it runs on.
const REPORT_LOCK: i64 = 0x62_72_69_65_66;

/// One report at a time on a PostgreSQL store: a session advisory lock, held by a connection
/// of its own. The server drops it when that connection ends, however the process dies.
pub struct AdvisoryLock {
    _client: Client,
}

impl AdvisoryLock {
    pub fn acquire(url: &str, shown: &str, wait: bool) -> Result<Self, LockError> {
        let io = |e: DbError| LockError::Io {
            path: shown.to_string(),
            source: std::io::Error::other(e.to_string()),
        };
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown host".into());
        // The holder's name is what a refused run prints, as the file lock prints a pid.
        let me = format!("brief report: pid {} on {host}", std::process::id());
        let mut client = config(url, &me)
            .and_then(|c| Ok(c.connect(NoTls)?))
            .map_err(io)?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&REPORT_LOCK])
            .map_err(|e| io(e.into()))?
            .get(0);
        if !got {
            let holder = holder(&mut client);
            if !wait {
                return Err(LockError::Busy {
                    path: shown.to_string(),
                    holder,
                });
            }
            tracing::info!("waiting for the report holding {shown} ({holder})");
            client
                .execute("SELECT pg_advisory_lock($1)", &[&REPORT_LOCK])
                .map_err(|e| io(e.into()))?;
        }
        Ok(Self { _client: client })
    }
}

fn holder(client: &mut Client) -> String {
    // An advisory lock on a bigint key shows its high half as classid, low half as objid.
    client
        .query_opt(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.classid::bigint = $1 AND l.objid::bigint = $2",
            &[&(REPORT_LOCK >> 32), &(REPORT_LOCK & 0xffff_ffff)],
        )
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten())
        .map(|name| name.trim_start_matches("brief report: pid ").to_string())
        .unwrap_or_else(|| "unknown".into())
}
