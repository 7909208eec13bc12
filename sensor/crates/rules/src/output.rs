//! Rule outputs (`%field`, `%(field)`) and alerts as Falco prints them:
//! the text line and the JSON object (rules.md §5.1-5.2).

use crate::collect::Priority;
use crate::compile::{FieldTable, Resolver};
use crate::eval::Cache;
use crate::fields::{Ctx, Val};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Tok {
    Lit(String),
    /// `width`: `%Nfield` pads or truncates the value to N characters.
    Field {
        key: String,
        slot: usize,
        width: Option<usize>,
    },
}

/// A compiled output format; fields share the rule set's slots, so values
/// the condition already extracted are not extracted again.
#[derive(Debug, Clone, Default)]
pub struct OutputFormat {
    toks: Vec<Tok>,
}

fn field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

/// Splits `name[arg]` for the resolver.
fn split_arg(s: &str) -> (&str, Option<&str>) {
    match s.find('[') {
        Some(i) if s.ends_with(']') => (&s[..i], Some(&s[i + 1..s.len() - 1])),
        _ => (s, None),
    }
}

impl OutputFormat {
    /// Parses `fmt`; the error is the bad token.
    pub fn parse(fmt: &str, fields: &mut FieldTable, resolve: Resolver) -> Result<Self, String> {
        let b = fmt.as_bytes();
        let mut toks = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let ch_len = fmt[i..].chars().next().map_or(1, char::len_utf8);
                lit.push_str(&fmt[i..i + ch_len]);
                i += ch_len;
                continue;
            }
            let pct = i;
            let mut d = i + 1;
            while d < b.len() && b[d].is_ascii_digit() {
                d += 1;
            }
            let width = fmt[i + 1..d].parse::<usize>().ok();
            i = d - 1;
            let (cands, after): (Vec<(String, usize)>, usize) = if b.get(i + 1) == Some(&b'(') {
                let close = fmt[i + 2..]
                    .find(')')
                    .ok_or_else(|| fmt[pct..].to_string())?;
                let name = fmt[i + 2..i + 2 + close].trim().to_string();
                (vec![(name, i + 3 + close)], i + 3 + close)
            } else {
                let mut j = i + 1;
                while j < b.len() && field_char(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b'[') {
                    if let Some(k) = fmt[j..].find(']') {
                        j += k + 1;
                    }
                }
                // Longest prefix that is a field wins (`%fd.name.` ends at fd.name).
                let mut c = Vec::new();
                let mut k = j;
                while k > i + 1 {
                    c.push((fmt[i + 1..k].to_string(), k));
                    k -= 1;
                    while k > i + 1 && !fmt.is_char_boundary(k) {
                        k -= 1;
                    }
                }
                (c, j)
            };
            let found = cands.iter().find_map(|(name, end)| {
                let (n, a) = split_arg(name);
                resolve(n, a).map(|d| (name.clone(), *end, d))
            });
            let Some((key, end, def)) = found else {
                let bad = cands.first().map_or(String::new(), |c| c.0.clone());
                return Err(if bad.is_empty() {
                    fmt[i..after.min(b.len())].to_string()
                } else {
                    bad
                });
            };
            if !lit.is_empty() {
                toks.push(Tok::Lit(std::mem::take(&mut lit)));
            }
            let slot = fields.slot(&key, def);
            toks.push(Tok::Field { key, slot, width });
            i = end;
        }
        if !lit.is_empty() {
            toks.push(Tok::Lit(lit));
        }
        Ok(OutputFormat { toks })
    }

    /// Appends another format's tokens (falco.yaml `append_output`).
    pub fn append(&mut self, other: OutputFormat) {
        self.toks.extend(other.toks);
    }

    /// Renders the message and collects `output_fields`.
    pub fn render<'x>(
        &self,
        ft: &FieldTable,
        ctx: &Ctx<'x>,
        cache: &mut Cache<'x>,
        fields: &mut Vec<(String, OutValue)>,
    ) -> String {
        let mut s = String::with_capacity(128);
        for t in &self.toks {
            match t {
                Tok::Lit(l) => s.push_str(l),
                Tok::Field { key, slot, width } => {
                    let mark = s.len();
                    let owned;
                    let v = if *slot < ft.n_cond {
                        cache.get(*slot, &ft.defs, ctx)
                    } else {
                        owned = ft.defs.get(*slot).and_then(|d| d.ex.extract(ctx));
                        owned.as_ref()
                    };
                    match v {
                        Some(v) => v.write_to(&mut s),
                        None => s.push_str("<NA>"),
                    }
                    if let Some(w) = width {
                        let n = s[mark..].chars().count();
                        if n > *w {
                            let cut = s[mark..]
                                .char_indices()
                                .nth(*w)
                                .map_or(s.len(), |(o, _)| mark + o);
                            s.truncate(cut);
                        } else {
                            s.extend(std::iter::repeat_n(' ', w - n));
                        }
                    }
                    fields.push((key.clone(), OutValue::from(v)));
                }
            }
        }
        s
    }
}

/// A typed value in `output_fields`.
#[derive(Debug, Clone, PartialEq)]
pub enum OutValue {
    Str(String),
    Int(i128),
    Bool(bool),
    Null,
}

impl From<Option<&Val<'_>>> for OutValue {
    fn from(v: Option<&Val<'_>>) -> Self {
        match v {
            None => OutValue::Null,
            Some(Val::Int(i)) => OutValue::Int(*i),
            Some(Val::Bool(b)) => OutValue::Bool(*b),
            Some(other) => {
                let mut s = String::new();
                other.write_to(&mut s);
                OutValue::Str(s)
            }
        }
    }
}

/// One fired rule.
#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: Arc<str>,
    pub priority: Priority,
    pub source: Arc<str>,
    pub tags: Arc<[String]>,
    /// Event timestamp, ns since the epoch.
    pub ts: u64,
    /// The rendered output, without the time/priority prefix.
    pub message: String,
    pub fields: Vec<(String, OutValue)>,
}

/// `2016-08-04T16:17:57.881781397+0000` (evt.time.iso8601).
pub fn iso8601(ts: u64) -> String {
    let mut s = String::with_capacity(32);
    peregrine_format::format_date_time_utc(ts, &mut s);
    let s = s.replacen(' ', "T", 1);
    s + "+0000"
}

pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Alert {
    fn prefix(&self, iso: bool) -> String {
        let mut t = String::new();
        if iso {
            t = iso8601(self.ts);
        } else {
            peregrine_format::format_time(self.ts, &mut t);
        }
        format!("{t}: {}", self.priority.as_str())
    }

    /// `<time>: <Priority> <message>`; `iso` = time_format_iso_8601.
    pub fn to_text(&self, iso: bool) -> String {
        format!("{} {}", self.prefix(iso), self.message)
    }

    /// The JSON alert, keys in Falco's (alphabetical) order.
    pub fn to_json(&self, hostname: &str, iso: bool, opts: JsonOptions) -> String {
        let mut o = String::with_capacity(256);
        o.push_str("{\"hostname\":");
        json_str(hostname, &mut o);
        if opts.message {
            o.push_str(",\"message\":");
            json_str(&self.message, &mut o);
        }
        if opts.output {
            o.push_str(",\"output\":");
            json_str(&self.to_text(iso), &mut o);
        }
        if opts.output_fields {
            let mut m: BTreeMap<&str, &OutValue> = BTreeMap::new();
            let t = OutValue::Int(self.ts as i128);
            m.insert(if iso { "evt.time.iso8601" } else { "evt.time" }, &t);
            for (k, v) in &self.fields {
                m.insert(k, v);
            }
            o.push_str(",\"output_fields\":{");
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_str(k, &mut o);
                o.push(':');
                match v {
                    OutValue::Str(s) => json_str(s, &mut o),
                    OutValue::Int(n) => {
                        let _ = write!(o, "{n}");
                    }
                    OutValue::Bool(b) => {
                        let _ = write!(o, "{b}");
                    }
                    OutValue::Null => o.push_str("null"),
                }
            }
            o.push('}');
        }
        o.push_str(",\"priority\":");
        json_str(self.priority.as_str(), &mut o);
        o.push_str(",\"rule\":");
        json_str(&self.rule, &mut o);
        o.push_str(",\"source\":");
        json_str(&self.source, &mut o);
        if opts.tags {
            o.push_str(",\"tags\":[");
            for (i, t) in self.tags.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_str(t, &mut o);
            }
            o.push(']');
        }
        let mut time = iso8601(self.ts);
        time.truncate(time.len() - 5);
        o.push_str(",\"time\":");
        json_str(&(time + "Z"), &mut o);
        o.push('}');
        o
    }
}

/// Falco's `json_include_*_property` switches.
#[derive(Debug, Clone, Copy)]
pub struct JsonOptions {
    pub output: bool,
    pub tags: bool,
    pub message: bool,
    pub output_fields: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            output: true,
            tags: true,
            message: false,
            output_fields: true,
        }
    }
}
