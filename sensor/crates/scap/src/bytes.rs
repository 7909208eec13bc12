//! Bounds-checked little-endian reading of block bodies, and the matching
//! writers. Every read names the field, so a malformed sub-record produces a
//! message that says which field did not fit.

/// A field that did not fit in what is left of a block body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Short {
    pub field: &'static str,
    /// Position in the block body (after the 8-byte block header).
    pub at: usize,
    pub need: usize,
    pub left: usize,
}

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field `{}` at body offset +{} needs {} bytes but only {} remain (truncated or corrupt sub-record)",
            self.field, self.at, self.need, self.left
        )
    }
}

/// Reads fields from a block body. Never panics: every access is checked.
#[derive(Debug, Clone)]
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Cur { b, pos: 0 }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn left(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        match end.and_then(|e| self.b.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(Short {
                field,
                at: self.pos,
                need: n,
                left: self.left(),
            }),
        }
    }
    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<(), Short> {
        self.take(n, field).map(|_| ())
    }
    fn arr<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Short> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn u8(&mut self, field: &'static str) -> Result<u8, Short> {
        Ok(self.arr::<1>(field)?[0])
    }
    pub fn u16(&mut self, field: &'static str) -> Result<u16, Short> {
        self.arr(field).map(u16::from_le_bytes)
    }
    pub fn u32(&mut self, field: &'static str) -> Result<u32, Short> {
        self.arr(field).map(u32::from_le_bytes)
    }
    pub fn u64(&mut self, field: &'static str) -> Result<u64, Short> {
        self.arr(field).map(u64::from_le_bytes)
    }
    pub fn i64(&mut self, field: &'static str) -> Result<i64, Short> {
        self.arr(field).map(i64::from_le_bytes)
    }
    pub fn ip6(&mut self, field: &'static str) -> Result<[u8; 16], Short> {
        self.arr(field)
    }
    /// A u16 length followed by that many bytes (not NUL-terminated on file).
    pub fn str16(&mut self, field: &'static str) -> Result<Vec<u8>, Short> {
        let n = self.u16(field)? as usize;
        Ok(self.take(n, field)?.to_vec())
    }
}

/// Appends little-endian fields to a block body.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_i64(&mut self, v: i64);
    /// u16 length + bytes. Longer strings are cut at 65535 bytes, the most
    /// the format can carry (upstream's limits are far lower).
    fn put_str16(&mut self, s: &[u8]);
    /// u16 length + at most `max` bytes of `s`.
    fn put_str16_max(&mut self, s: &[u8], max: usize) {
        self.put_str16(s.get(..max).unwrap_or(s));
    }
    /// A NUL-separated list (args, env, cgroups) of at most `max` bytes, cut
    /// after its last whole item that fits: half an environment variable or
    /// cgroup path would read as a real, different one. A first item longer
    /// than `max` is cut at `max`.
    fn put_list16_max(&mut self, s: &[u8], max: usize) {
        let cut = match s.get(..max) {
            None => s,
            Some(head) => match head.iter().rposition(|&b| b == 0) {
                Some(nul) => &head[..=nul],
                None => head,
            },
        };
        self.put_str16(cut);
    }
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_str16(&mut self, s: &[u8]) {
        let s = s.get(..usize::from(u16::MAX)).unwrap_or(s);
        self.put_u16(s.len() as u16);
        self.extend_from_slice(s);
    }
}

/// The longest strings libscap's savefile reader accepts in metadata
/// entries; one byte more and it refuses the whole file ("invalid argslen
/// 25505"). Measured against sysdig 0.29 (libs of March 2022), byte by byte
/// around each limit; current libs have the same SCAP_MAX_* sizes.
pub(crate) mod max_len {
    /// PL comm, exe, exepath, cwd and root (SCAP_MAX_PATH_SIZE).
    pub const PATH: usize = 1024;
    /// PL args, env and cgroups (SCAP_MAX_ARGS_SIZE and friends).
    pub const LIST: usize = 4096;
    /// FDL names (file, unix socket, other named fds): the reader keeps a
    /// NUL after them in a SCAP_MAX_PATH_SIZE buffer.
    pub const FD_NAME: usize = 1023;
    /// UL user name, home directory, shell and group name.
    pub const CREDENTIAL: usize = 255;
}

/// Writes a u32 sub-record length (which includes itself) at `start`, once
/// the record that begins there is complete.
pub(crate) fn patch_len(buf: &mut [u8], start: usize) {
    let len = (buf.len() - start) as u32;
    if let Some(dst) = buf.get_mut(start..start + 4) {
        dst.copy_from_slice(&len.to_le_bytes());
    }
}
