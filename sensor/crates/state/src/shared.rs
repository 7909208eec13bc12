//! Immutable strings shared by reference count. A process's strings (exe,
//! args, env, cgroups, cwd...) are the same in all its threads and in the
//! children it forks until they exec; sharing them instead of copying them
//! per thread is most of the thread table's memory on a busy host.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// One shared string. Cloning bumps a count; the text never changes (a new
/// value replaces the whole string, copy-on-write style).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedStr(Arc<str>);

fn empty_arc() -> Arc<str> {
    // One allocation for every empty string of the table.
    static EMPTY: OnceLock<Arc<str>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from("")).clone()
}

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `b` as text (invalid UTF-8 replaced), keeping `self` when the text is
    /// the same, so that an event repeating what we know shares it.
    /// Text ends at the first NUL (C strings from the kernel carry one).
    pub(crate) fn set_lossy(&mut self, b: &[u8]) {
        let b = b.split(|&c| c == 0).next().unwrap_or(b);
        if self.0.as_bytes() != b {
            *self = SharedStr::from(String::from_utf8_lossy(b).as_ref());
        }
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        SharedStr(empty_arc())
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        if s.is_empty() {
            SharedStr::default()
        } else {
            SharedStr(Arc::from(s))
        }
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr::from(s.as_str())
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, o: &str) -> bool {
        &*self.0 == o
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, o: &&str) -> bool {
        &*self.0 == *o
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A list of strings (argv, environment, cgroups) in one shared allocation:
/// each item followed by a NUL, as the kernel lays them out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StrList(SharedStr);

impl StrList {
    /// From the kernel's NUL-separated bytes (a trailing NUL is optional).
    /// Empty pieces are kept except a trailing one; no bytes, no items.
    pub fn from_nul(b: &[u8]) -> Self {
        let mut l = StrList::default();
        l.set_nul(b);
        l
    }

    /// Replaces the items with `b`'s, keeping the shared text when equal.
    pub(crate) fn set_nul(&mut self, b: &[u8]) {
        if b.is_empty() {
            *self = StrList::default();
            return;
        }
        let body = b.strip_suffix(&[0]).unwrap_or(b);
        let cur = self.0.as_bytes();
        // Stored form: body + one terminating NUL.
        if cur.len() == body.len() + 1 && cur.starts_with(body) {
            return;
        }
        let mut s = String::from_utf8_lossy(body).into_owned();
        s.push('\0');
        self.0 = SharedStr::from(s);
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split_terminator('\0')
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The items joined by single spaces (`proc.args`, `proc.env`).
    pub fn join(&self, sep: &str) -> String {
        let mut s = String::with_capacity(self.0.len());
        for (i, a) in self.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(a);
        }
        s
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    fn from_iter<I: IntoIterator<Item = S>>(it: I) -> Self {
        let mut s = String::new();
        for a in it {
            s.push_str(a.as_ref());
            s.push('\0');
        }
        StrList(SharedStr::from(s))
    }
}

impl fmt::Debug for StrList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_the_kernel_layout_and_share_equal_text() {
        let l = StrList::from_nul(b"-c\0echo hi\0");
        assert_eq!(l.iter().collect::<Vec<_>>(), ["-c", "echo hi"]);
        assert_eq!(l.join(" "), "-c echo hi");
        assert_eq!(StrList::from_nul(b"-c\0echo hi"), l);
        assert_eq!(StrList::from_nul(b"").len(), 0);
        assert_eq!(StrList::from_nul(b"\0").iter().collect::<Vec<_>>(), [""]);
        assert_eq!(StrList::from_nul(b"a\0\0b").len(), 3);
        let mut m = l.clone();
        m.set_nul(b"-c\0echo hi");
        assert!(Arc::ptr_eq(&m.0 .0, &l.0 .0), "equal text stays shared");
        m.set_nul(b"-x");
        assert_eq!(m.iter().collect::<Vec<_>>(), ["-x"]);
        let mut s = SharedStr::from("/bin/sh");
        let t = s.clone();
        s.set_lossy(b"/bin/sh\0");
        assert!(Arc::ptr_eq(&s.0, &t.0));
        s.set_lossy(b"/bin/bash\0");
        assert_eq!(s, "/bin/bash");
    }
}
