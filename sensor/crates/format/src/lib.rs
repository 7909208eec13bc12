//! Output formats in sysdig's `-p` syntax: literal text with `%field` or
//! `%(field)` references; a leading `*` prints every event, otherwise an
//! event is printed only when every referenced field has a value.
//!
//! Event fields come from the decoder; process, fd, user and container
//! fields from [`peregrine_state::State`] when the context carries one.

mod args;
mod fields;
mod time;

pub use args::render_args_with_state;
pub use fields::{Field, FieldInfo, FIELDS};
pub use time::{format_date_time, format_date_time_utc, format_time, use_local_time};

use peregrine_event::EventRef;
use peregrine_state::State;
use thiserror::Error;

/// What a field is extracted from.
#[derive(Debug, Clone, Copy)]
pub struct EventContext<'a> {
    pub event: EventRef<'a>,
    /// sysdig's `evt.num`.
    pub num: u64,
    pub cpu: u16,
    /// State after processing `event`; without it state fields have no value.
    pub state: Option<&'a State>,
}

/// Errors in a format string; `column` is 1-based, in characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    #[error(
        "format column {column}: unknown field '{name}' (run `peregrine list-fields` for the list)"
    )]
    UnknownField { name: String, column: usize },
    #[error("format column {column}: '%(' is not closed by ')'")]
    Unclosed { column: usize },
    #[error("format column {column}: '%' is not followed by a field name")]
    Empty { column: usize },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Lit(String),
    Field(Field),
}

/// A parsed output format.
#[derive(Debug, Clone)]
pub struct Format {
    tokens: Vec<Token>,
    print_all: bool,
}

fn field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']' | '-' | '/' | ':')
}

impl Format {
    /// Parses `fmt`. Unknown fields are errors with their column.
    pub fn parse(fmt: &str) -> Result<Self, FormatError> {
        let (print_all, body, base) = match fmt.strip_prefix('*') {
            Some(rest) => (true, rest, 2),
            None => (false, fmt, 1),
        };
        let chars: Vec<char> = body.chars().collect();
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '%' {
                lit.push(chars[i]);
                i += 1;
                continue;
            }
            let column = base + i;
            let (name, next) = if chars.get(i + 1) == Some(&'(') {
                let close = chars[i + 2..]
                    .iter()
                    .position(|&c| c == ')')
                    .ok_or(FormatError::Unclosed { column })?;
                (
                    chars[i + 2..i + 2 + close].iter().collect::<String>(),
                    i + 3 + close,
                )
            } else {
                let mut j = i + 1;
                while j < chars.len() && field_char(chars[j]) {
                    j += 1;
                }
                // A trailing '.' belongs to the text ("%proc.name." is rare but legal).
                while j > i + 1 && chars[j - 1] == '.' {
                    j -= 1;
                }
                (chars[i + 1..j].iter().collect::<String>(), j)
            };
            if name.is_empty() {
                return Err(FormatError::Empty { column });
            }
            let f = Field::parse(&name).ok_or(FormatError::UnknownField {
                name: name.clone(),
                column,
            })?;
            if !lit.is_empty() {
                tokens.push(Token::Lit(std::mem::take(&mut lit)));
            }
            tokens.push(Token::Field(f));
            i = next;
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        Ok(Format { tokens, print_all })
    }

    /// The fields this format references.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Field(f) => Some(f),
            Token::Lit(_) => None,
        })
    }

    /// Renders the event into `out` (cleared first). Returns false when the
    /// event must not be printed (a field has no value and the format does
    /// not start with `*`); missing values print as `<NA>`.
    pub fn render(&self, ctx: &EventContext<'_>, out: &mut String) -> bool {
        out.clear();
        for t in &self.tokens {
            match t {
                Token::Lit(s) => out.push_str(s),
                Token::Field(f) => {
                    if !f.extract(ctx, out) {
                        if !self.print_all {
                            return false;
                        }
                        out.push_str("<NA>");
                    }
                }
            }
        }
        true
    }
}

/// sysdig's default line for events, with the fields the decoder can give.
pub const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.time %evt.cpu %thread.tid %evt.dir %evt.type %evt.args";

#[cfg(test)]
mod tests;
