//! `briefing.html` and `index.html`: self-contained pages (inline CSS and SVG, no scripts, no
//! external assets), readable offline and safe to mail around. Evidence is on hover (the
//! citation's title) and on expand (`<details>`), so the page needs no JavaScript.

use std::fmt::Write as _;

use crate::briefing::render::{escape_html as esc, web_url};

use super::{NightlyReport, PastReport, Story};
use crate::briefing::Point;
use crate::ingest::ArticleId;

const CSS: &str = r#"
:root { --ink:#1c2230; --muted:#5d6677; --line:#dfe3ea; --bg:#f4f5f7; --card:#fff;
  --accent:#2451b7; --accent-bg:#e8eefc; --new:#0b7a43; --new-bg:#e3f5eb; --warn:#8a5a00; --warn-bg:#fff4d6; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; }
.wrap { max-width:980px; margin:0 auto; padding:28px 28px 40px; }
h1 { margin:0 0 4px; font-size:1.7rem; }
.meta { color:var(--muted); font-size:.9rem; margin:0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:18px 24px 16px;
  margin:18px 0; box-shadow:0 1px 2px rgba(20,30,50,.06); }
h2 { margin:0 0 2px; font-size:1.2rem; line-height:1.35; }
h2 a { color:inherit; text-decoration:none; }
.badge { display:inline-block; margin-left:6px; padding:0 7px; border-radius:9px; font-size:.72rem; font-weight:700;
  letter-spacing:.02em; vertical-align:2px; color:var(--new); background:var(--new-bg); text-transform:uppercase; }
.badge.teaser { color:var(--warn); background:var(--warn-bg); }
ol.points { margin:12px 0 0; padding-left:1.3em; }
ol.points li { margin:0 0 10px; }
ol.points li.new::marker { color:var(--new); font-weight:700; }
a.cite { display:inline-block; margin-left:4px; padding:0 6px; border-radius:4px; font-size:.74rem; font-weight:600;
  line-height:1.6; color:var(--accent); background:var(--accent-bg); text-decoration:none; vertical-align:1px; }
a.cite:hover { background:var(--accent); color:#fff; }
details { margin:2px 0 0; font-size:.86rem; }
details summary { cursor:pointer; color:var(--muted); }
details ul { margin:4px 0 0; padding-left:1.1em; color:var(--muted); }
details q { color:var(--ink); }
.score { font-variant-numeric:tabular-nums; color:var(--muted); font-size:.78rem; }
.differ { margin:12px 0 4px; padding:10px 14px; border-left:4px solid #e0a100; background:var(--warn-bg); border-radius:6px; }
.differ h3 { margin:0 0 4px; font-size:.92rem; color:var(--warn); }
.differ ul { margin:0; padding-left:1.1em; font-size:.9rem; }
.differ .val { font-weight:700; }
.sources { margin:14px 0 0; padding-top:8px; border-top:1px solid var(--line); }
.sources h3 { margin:0 0 4px; font-size:.85rem; color:var(--muted); font-weight:600; }
.sources ol { list-style:none; margin:0; padding:0; font-size:.88rem; }
.sources li { margin:0 0 6px; padding:2px 6px; border-radius:6px; }
.sources li:target { background:var(--accent-bg); }
.sources .id { display:inline-block; min-width:2.2em; font-weight:700; color:var(--accent); }
.sources .sum { display:block; margin-left:2.2em; color:var(--muted); }
.sources code { font-size:.8em; color:var(--muted); }
.chart { margin:10px 0 0; }
.chart a { text-decoration:none; }
.chart text { font:12px system-ui,sans-serif; fill:var(--ink); }
.chart text.n { fill:var(--muted); }
.chart rect.bar { fill:#9db4ea; }
.chart rect.bar.new { fill:#6cc69a; }
.legend { font-size:.8rem; color:var(--muted); }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin:0 4px 0 10px; vertical-align:-1px; }
table { width:100%; border-collapse:collapse; font-size:.92rem; }
th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
td.date { white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
footer { color:var(--muted); font-size:.8rem; margin-top:24px; }
"#;

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<div class=\"wrap\">\n",
        esc(title)
    );
}

fn anchor(story: usize, id: ArticleId) -> String {
    format!("st{story}-{id}")
}

pub fn render(r: &NightlyReport) -> String {
    let mut out = String::new();
    head(&mut out, &format!("Briefing — {}", r.date));
    let articles: usize = r.stories.iter().map(|s| s.briefing.sources.len()).sum();
    let new = r.stories.iter().filter(|s| s.new).count();
    let _ = write!(
        out,
        "<header>\n<h1>Briefing — {}</h1>\n<p class=\"meta\">{} {} from {} article{} · {} · model <code>{}</code></p>\n",
        esc(&r.date),
        r.stories.len(),
        if r.stories.len() == 1 { "story" } else { "stories" },
        articles,
        if articles == 1 { "" } else { "s" },
        match &r.since {
            Some(d) => format!("{new} new since {}", esc(d)),
            None => "first report".to_string(),
        },
        esc(&r.model)
    );
    chart(&mut out, &r.stories);
    out.push_str("</header>\n<main>\n");
    for (i, s) in r.stories.iter().enumerate() {
        story(&mut out, i + 1, s);
    }
    if !r.rejected.is_empty() {
        out.push_str("<section class=\"card\"><h2>Inputs not used</h2><ul>\n");
        for x in &r.rejected {
            let _ = writeln!(out, "<li>{}</li>", esc(&x.reason));
        }
        out.push_str("</ul></section>\n");
    }
    let f = &r.run;
    let _ = write!(
        out,
        "</main>\n<footer>Run {} · generated {} · {} model calls, {} summaries reused, {} stories reused · {:.1} s · \
         every point cites the sources whose sentences support it; hover a citation for the sentence.</footer>\n\
         </div>\n</body>\n</html>\n",
        f.run_id,
        esc(&r.generated),
        f.model_calls,
        f.summaries_reused,
        f.stories_reused,
        f.secs
    );
    out
}

/// Sources per story as horizontal bars, each linking to its story.
fn chart(out: &mut String, stories: &[Story]) {
    if stories.is_empty() {
        return;
    }
    let shown = &stories[..stories.len().min(20)];
    let max = shown
        .iter()
        .map(|s| s.briefing.sources.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row) = (330.0, 560.0, 22.0);
    let h = row * shown.len() as f64 + 6.0;
    let _ = writeln!(
        out,
        "<div class=\"chart\"><svg role=\"img\" aria-label=\"Sources per story\" width=\"100%\" viewBox=\"0 0 {} {h}\" preserveAspectRatio=\"xMinYMin meet\">",
        label_w + bar_w + 40.0
    );
    for (i, s) in shown.iter().enumerate() {
        let y = i as f64 * row + 3.0;
        let w = (bar_w * s.briefing.sources.len() as f64 / max as f64).max(3.0);
        let label: String = if s.briefing.headline.chars().count() > 48 {
            format!(
                "{}…",
                s.briefing.headline.chars().take(47).collect::<String>()
            )
        } else {
            s.briefing.headline.clone()
        };
        let _ = writeln!(
            out,
            "<a href=\"#story-{}\"><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar{}\" x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" rx=\"3\"><title>{} sources</title></rect>\
             <text class=\"n\" x=\"{:.1}\" y=\"{}\">{}</text></a>",
            i + 1,
            label_w - 8.0,
            y + 14.0,
            esc(&label),
            if s.new { " new" } else { "" },
            row - 6.0,
            s.briefing.sources.len(),
            label_w + w + 6.0,
            y + 14.0,
            s.briefing.sources.len()
        );
    }
    out.push_str("</svg>\n<div class=\"legend\">Sources per story<i style=\"background:#6cc69a\"></i>new story<i style=\"background:#9db4ea\"></i>continuing</div></div>\n");
}

fn story(out: &mut String, n: usize, s: &Story) {
    let _ = write!(
        out,
        "<section class=\"card\" id=\"story-{n}\">\n<h2><a href=\"#story-{n}\">{n}. {}</a>{}</h2>\n<p class=\"meta\">{} source{}{}</p>\n",
        esc(&s.briefing.headline),
        if s.new { "<span class=\"badge\">new</span>" } else { "" },
        s.briefing.sources.len(),
        if s.briefing.sources.len() == 1 { "" } else { "s" },
        s.latest
            .as_ref()
            .map(|d| format!(" · latest {}", esc(d)))
            .unwrap_or_default()
    );
    out.push_str("<ol class=\"points\">\n");
    for p in &s.briefing.points {
        point(out, n, p);
    }
    out.push_str("</ol>\n");
    if !s.briefing.disagreements.is_empty() {
        out.push_str("<div class=\"differ\"><h3>Where sources differ</h3><ul>\n");
        for d in &s.briefing.disagreements {
            let sides: Vec<String> = d
                .sides
                .iter()
                .map(|x| {
                    format!(
                        "<span class=\"val\" title=\"{}\">{}</span>{}",
                        esc(&x.sentence),
                        esc(&x.value),
                        x.sources
                            .iter()
                            .map(|id| cite(n, *id, &x.sentence))
                            .collect::<String>()
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "<li>{}: {}</li>",
                esc(&d.about),
                sides.join(" <span class=\"meta\">vs</span> ")
            );
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("<div class=\"sources\"><h3>Sources</h3><ol>\n");
    for src in &s.briefing.sources {
        let title = src.title.as_deref().unwrap_or("(untitled)");
        let name = match src.url.as_deref().and_then(web_url) {
            Some(u) => format!("<a href=\"{}\">{}</a>", esc(u), esc(title)),
            None => esc(title),
        };
        let mut badges = String::new();
        if src.new {
            badges.push_str("<span class=\"badge\">new</span>");
        }
        if src.teaser {
            badges.push_str("<span class=\"badge teaser\" title=\"The feed gave only a teaser; the full text is at the link.\">teaser</span>");
        }
        let _ = writeln!(
            out,
            "<li id=\"{}\"><span class=\"id\">{}</span>{name}{badges} <code>{}</code>{}<span class=\"sum\">{}</span></li>",
            anchor(n, src.id),
            src.id,
            esc(&src.path),
            src.published
                .as_ref()
                .map(|d| format!(" <span class=\"meta\">{}</span>", esc(d)))
                .unwrap_or_default(),
            esc(&src.summary)
        );
    }
    out.push_str("</ol></div>\n</section>\n");
}

fn cite(story: usize, id: ArticleId, sentence: &str) -> String {
    format!(
        "<a class=\"cite\" href=\"#{}\" title=\"{}\">{id}</a>",
        anchor(story, id),
        esc(sentence)
    )
}

fn point(out: &mut String, story: usize, p: &Point) {
    let cites: String = p
        .sources
        .iter()
        .map(|id| {
            let sentence = p
                .evidence
                .iter()
                .find(|e| e.source == *id)
                .map(|e| e.sentence.as_str())
                .unwrap_or("");
            cite(story, *id, sentence)
        })
        .collect();
    let _ = write!(
        out,
        "<li{}>{}{}{}",
        if p.new { " class=\"new\"" } else { "" },
        esc(&p.text),
        cites,
        if p.new {
            "<span class=\"badge\">new</span>"
        } else {
            ""
        }
    );
    if !p.evidence.is_empty() {
        out.push_str("<details><summary>evidence</summary><ul>\n");
        for e in &p.evidence {
            let _ = writeln!(
                out,
                "<li><b>{}</b> <q>{}</q> <span class=\"score\">{:.2}</span></li>",
                e.source,
                esc(&e.sentence),
                e.score
            );
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</li>\n");
}

/// `index.html`: every dated report in the output directory, newest first.
pub fn index(reports: &[PastReport]) -> String {
    let mut out = String::new();
    head(&mut out, "Briefings");
    out.push_str("<h1>Briefings</h1>\n<p class=\"meta\">Every report in this directory, newest first.</p>\n<div class=\"card\"><table>\n<tr><th>Date</th><th>Top stories</th><th class=\"num\">Stories</th><th class=\"num\">New</th><th class=\"num\">Articles</th></tr>\n");
    for r in reports {
        let _ = writeln!(
            out,
            "<tr><td class=\"date\"><a href=\"{}/briefing.html\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.date),
            esc(&r.date),
            r.headlines
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join("<br>"),
            r.stories,
            r.new_stories.map_or("—".to_string(), |n| n.to_string()),
            r.articles
        );
    }
    out.push_str("</table></div>\n</div>\n</body>\n</html>\n");
    out
}
