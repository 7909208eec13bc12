//! String matchers with Falco's semantics: fnmatch(3) without flags,
//! path-prefix `pmatch`, ASCII case-insensitive search.

/// fnmatch(3) with flags 0: `*` and `?` match any byte including `/`,
/// `[...]` classes with `!`/`^` negation and ranges, `\` escapes.
pub fn fnmatch(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' if i < s.len() => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' if i < s.len() => {
                    if let Some((ok, next)) = class(pat, p, s[i]) {
                        if ok {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && i < s.len() && pat[p + 1] == s[i] => {
                    p += 2;
                    i += 1;
                    continue;
                }
                c if c != b'\\' && c != b'?' && c != b'[' && i < s.len() && c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        } else if i == s.len() {
            return true;
        }
        match star {
            Some((sp, si)) if si < s.len() => {
                star = Some((sp, si + 1));
                p = sp + 1;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// A bracket class at `pat[p] == '['`: (matches, index after `]`), or
/// `None` when the class is not closed (then `[` is literal).
fn class(pat: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let neg = matches!(pat.get(j), Some(b'!' | b'^'));
    if neg {
        j += 1;
    }
    let mut hit = false;
    let mut first = true;
    while j < pat.len() {
        if pat[j] == b']' && !first {
            return Some((hit != neg, j + 1));
        }
        first = false;
        let lo = pat[j];
        if j + 2 < pat.len() && pat[j + 1] == b'-' && pat[j + 2] != b']' {
            let hi = pat[j + 2];
            hit |= lo <= c && c <= hi;
            j += 3;
        } else {
            hit |= lo == c;
            j += 1;
        }
    }
    None
}

/// A `pmatch` pattern: its `/`-separated components (empty ones dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix(Vec<String>);

impl PathPrefix {
    pub fn new(p: &str) -> Self {
        PathPrefix(
            p.split('/')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }
    /// True when `path` is this prefix or below it (component-wise; each
    /// component of the prefix may be a glob).
    pub fn matches(&self, path: &str) -> bool {
        let mut comps = path.split('/').filter(|c| !c.is_empty());
        self.0.iter().all(|pc| {
            comps
                .next()
                .is_some_and(|c| pc == c || fnmatch(pc.as_bytes(), c.as_bytes()))
        })
    }
}

/// ASCII case-insensitive substring search (`needle` already lower case).
pub fn icontains(hay: &str, needle_lower: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// Hex text (`cafebabe`) to bytes.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_libc() {
        assert!(fnmatch(b"/etc/*", b"/etc/a/b"));
        assert!(fnmatch(b"*.so.?", b"libc.so.6"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"a\\*", b"a*"));
        assert!(!fnmatch(b"a", b"ab"));
        assert!(fnmatch(b"", b""));
        assert!(fnmatch(b"[", b"["));
    }

    #[test]
    fn pmatch_components() {
        let p = PathPrefix::new("/var/run");
        assert!(p.matches("/var/run"));
        assert!(p.matches("/var/run/docker"));
        assert!(!p.matches("/var/running"));
        assert!(PathPrefix::new("/opt/*/subdir").matches("/opt/x/subdir/f"));
    }

    #[test]
    fn icontains_ascii() {
        assert!(icontains("GLIBC_Tunables=x", "glibc_tunables"));
        assert!(!icontains("abc", "abd"));
    }
}
