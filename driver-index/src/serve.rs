//! A small HTTP/1.1 static file server for a repository directory: enough for an air-gapped
//! mirror or a test. GET and HEAD only, one request per connection, paths confined to the root;
//! a single-range `Range: bytes=` request gets 206 (what a resuming mirror sends).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Serves `root` on `listener` until the process ends; one thread per connection.
pub fn serve(root: PathBuf, listener: TcpListener) -> std::io::Result<()> {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(&root, stream);
        });
    }
    Ok(())
}

/// Starts [`serve`] on a background thread; returns the bound address.
pub fn spawn(root: PathBuf, addr: &str) -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    std::thread::spawn(move || serve(root, listener));
    Ok(local)
}

fn handle(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Drain headers; only Range changes what we send.
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut out, 405, "Method Not Allowed", b"", "", true);
    }
    let path = target.split('?').next().unwrap_or("");
    let Some(rel) = decode(path.trim_start_matches('/')) else {
        return respond(&mut out, 400, "Bad Request", b"", "", true);
    };
    let rel = if rel.is_empty() {
        "index.json".to_string()
    } else {
        rel
    };
    let send = method == "GET";
    if !crate::index::safe_relative_path(&rel) {
        return respond(&mut out, 404, "Not Found", b"not found\n", "", send);
    }
    let Ok(body) = std::fs::read(root.join(&rel)) else {
        return respond(&mut out, 404, "Not Found", b"not found\n", "", send);
    };
    let total = body.len();
    match range.as_deref().and_then(|r| byte_range(r, total)) {
        Some(Some((first, last))) => respond(
            &mut out,
            206,
            "Partial Content",
            &body[first..=last],
            &format!("Content-Range: bytes {first}-{last}/{total}\r\n"),
            send,
        ),
        Some(None) => respond(
            &mut out,
            416,
            "Range Not Satisfiable",
            b"",
            &format!("Content-Range: bytes */{total}\r\n"),
            send,
        ),
        None => respond(&mut out, 200, "OK", &body, "Accept-Ranges: bytes\r\n", send),
    }
}

/// A `Range` value against a body of `len` bytes: `None` to ignore it (not one byte range, as
/// RFC 9110 allows), `Some(None)` when it cannot be satisfied, else the inclusive bounds.
fn byte_range(spec: &str, len: usize) -> Option<Option<(usize, usize)>> {
    let spec = spec.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        // A suffix: the last N bytes.
        let n: usize = b.parse().ok()?;
        return Some((n > 0 && len > 0).then(|| (len - n.min(len), len - 1)));
    }
    let first: usize = a.parse().ok()?;
    let last = if b.is_empty() {
        usize::MAX
    } else {
        b.parse().ok()?
    };
    if last < first {
        return None;
    }
    Some((first < len).then(|| (first, last.min(len - 1))))
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    body: &[u8],
    extra_headers: &str,
    send_body: bool,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{extra_headers}Connection: close\r\n\r\n",
        body.len()
    )?;
    if send_body {
        out.write_all(body)?;
    }
    out.flush()
}

/// Percent-decoding; `None` on a malformed escape or non-UTF-8 result.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::{byte_range, decode};

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=2-", 10), Some(Some((2, 9))));
        assert_eq!(byte_range("bytes=2-4", 10), Some(Some((2, 4))));
        assert_eq!(byte_range("bytes=2-40", 10), Some(Some((2, 9))));
        assert_eq!(byte_range("bytes=-3", 10), Some(Some((7, 9))));
        assert_eq!(byte_range("bytes=-30", 10), Some(Some((0, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Some(None));
        assert_eq!(byte_range("bytes=0-", 0), Some(None));
        assert_eq!(byte_range("bytes=5-2", 10), None);
        assert_eq!(byte_range("bytes=1-2,4-5", 10), None);
        assert_eq!(byte_range("items=1-2", 10), None);
        assert_eq!(byte_range("bytes=x-", 10), None);
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode("a%2Bb").as_deref(), Some("a+b"));
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("%zz"), None);
    }
}
