//! The embedded backend: one SQLite file in WAL mode.

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use super::{Backend, DbError, Dialect, Row, Value};

pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A missing directory surfaces as SQLite's "unable to open" below, with the path.
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path)?;
        // Another process (a second run waiting for the lock, `brief history`, a worker) may
        // read while a run writes; WAL keeps both safe and a crash leaves the last commit intact.
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(Self { conn })
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(n)) => ToSqlOutput::from(*n),
            Value::Text(Some(t)) => ToSqlOutput::from(t.as_str()),
            Value::Blob(Some(b)) => ToSqlOutput::from(b.as_slice()),
            Value::Int(None) | Value::Text(None) | Value::Blob(None) => {
                ToSqlOutput::from(rusqlite::types::Null)
            }
        })
    }
}

/// Our statements number their parameters `$1…` as PostgreSQL does; SQLite reads `?1…` as
/// positions (its `$1` would be a name).
fn positional(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut stmt = self.conn.prepare_cached(&positional(sql))?;
        Ok(stmt.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.conn.prepare_cached(&positional(sql))?;
        let n = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Text(None),
                    ValueRef::Integer(v) => Value::Int(Some(v)),
                    ValueRef::Real(v) => Value::Int(Some(v as i64)),
                    ValueRef::Text(t) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Blob(b) => Value::Blob(Some(b.to_vec())),
                });
            }
            Ok(Row(values))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.conn.execute_batch(sql)?)
    }
}
