//! A small HTTP/1.1 static file server for a repository directory: enough for an air-gapped
//! mirror or a test. GET and HEAD only, one request per connection, paths confined to the root.

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
    // Drain headers; none of them changes what we send.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut out, 405, "Method Not Allowed", b"", true);
    }
    let path = target.split('?').next().unwrap_or("");
    let Some(rel) = decode(path.trim_start_matches('/')) else {
        return respond(&mut out, 400, "Bad Request", b"", true);
    };
    let rel = if rel.is_empty() {
        "index.json".to_string()
    } else {
        rel
    };
    if !crate::index::safe_relative_path(&rel) {
        return respond(&mut out, 404, "Not Found", b"not found\n", method == "GET");
    }
    match std::fs::read(root.join(&rel)) {
        Ok(body) => respond(&mut out, 200, "OK", &body, method == "GET"),
        Err(_) => respond(&mut out, 404, "Not Found", b"not found\n", method == "GET"),
    }
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    body: &[u8],
    send_body: bool,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
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
    use super::decode;

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode("a%2Bb").as_deref(), Some("a+b"));
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("%zz"), None);
    }
}
