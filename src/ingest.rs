// PLACEHOLDER until the ingest module lands.
use std::path::PathBuf;
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleId(pub u32);
impl std::fmt::Display for ArticleId { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "S{}", self.0) } }
impl serde::Serialize for ArticleId { fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(&self.to_string()) } }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Article { pub id: ArticleId, pub path: String, pub title: Option<String>, pub text: String, pub content_hash: String }
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped { pub path: String, pub duplicate_of: ArticleId }
#[derive(Debug, Clone)]
pub struct IngestOptions { pub max_bytes: u64 }
pub struct Ingested { pub articles: Vec<Article>, pub skipped: Vec<Skipped> }
#[derive(Debug, thiserror::Error)]
pub enum IngestError { #[error("{0}: cannot read")] Read(String) }
pub fn ingest(inputs: &[PathBuf], _o: &IngestOptions) -> Result<Ingested, IngestError> {
    let mut files = vec![];
    for i in inputs { if i.is_dir() { let mut v: Vec<_> = std::fs::read_dir(i).unwrap().map(|e| e.unwrap().path()).collect(); v.sort(); files.extend(v) } else { files.push(i.clone()) } }
    let articles = files.iter().enumerate().map(|(n, p)| { let t = std::fs::read_to_string(p).map_err(|_| IngestError::Read(p.display().to_string()))?; Ok(Article { id: ArticleId(n as u32 + 1), path: p.display().to_string(), title: t.lines().next().map(|s| s.to_string()), text: t, content_hash: String::new() }) }).collect::<Result<_, IngestError>>()?;
    Ok(Ingested { articles, skipped: vec![] })
}
