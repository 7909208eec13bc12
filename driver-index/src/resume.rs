//! Resumable downloads for `mirror`: the body goes into a partial file outside the final tree
//! as it arrives, so a cut transfer keeps what it got, and the next attempt (a retry, or the
//! next run) asks only for the rest with an HTTP `Range`. The whole file is checked against
//! the index's size and sha256 before it is renamed into place; a partial that does not
//! verify (altered on disk, or the server's file changed) is discarded.

use crate::fetch::{check, FetchError, Fetcher};
use std::io::{Read, Write};
use std::path::Path;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn len_of(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// First byte of a `Content-Range: bytes FIRST-LAST/TOTAL` value.
fn range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

impl Fetcher {
    /// Downloads `url` (`size` bytes, `sha256`) to `dest` through `partial`, continuing what
    /// `partial` already holds. Returns how many bytes of that earlier partial were kept (0
    /// when there was none or the server ignored the Range). On a
    /// transport failure `partial` keeps the bytes received; on a bad size or sha256 it is
    /// removed. `dest` appears only complete and verified.
    pub fn fetch_resumable(
        &self,
        url: &str,
        size: u64,
        sha256: &str,
        dest: &Path,
        partial: &Path,
    ) -> Result<u64, FetchError> {
        if url.starts_with("file://") {
            self.fetch_verified(url, size, sha256, dest)?;
            return Ok(0);
        }
        if let Some(dir) = partial.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        if len_of(partial) > size {
            std::fs::remove_file(partial).map_err(io_err(partial))?;
        }
        let mut kept = len_of(partial);
        let mut wait = self.opts.backoff;
        let mut attempt = 0;
        loop {
            match self.append_once(url, size, partial, &mut kept) {
                Ok(()) => break,
                Err(e) if e.transient() && attempt < self.opts.retries => {
                    attempt += 1;
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                Err(e) => return Err(e),
            }
        }
        let body = std::fs::read(partial).map_err(io_err(partial))?;
        if let Err(e) = check(&body, url, size, sha256) {
            let _ = std::fs::remove_file(partial);
            return Err(e);
        }
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::rename(partial, dest).map_err(io_err(dest))?;
        Ok(kept)
    }

    /// One request for what `partial` lacks, appended as it arrives; `kept` drops to 0 when
    /// the partial is started over.
    fn append_once(
        &self,
        url: &str,
        size: u64,
        partial: &Path,
        kept: &mut u64,
    ) -> Result<(), FetchError> {
        let have = len_of(partial);
        if have == size {
            return Ok(());
        }
        let mut req = self.agent.get(url);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let resp = req.call().map_err(|e| self.map_err(url, e))?;
        let code = resp.status().as_u16();
        let continues = code == 206
            && resp
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(range_start)
                == Some(have);
        let (mut file, want) = match code {
            206 if continues => (
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(partial)
                    .map_err(io_err(partial))?,
                size - have,
            ),
            // The server ignored the Range (or answered another one): start over.
            200 | 206 if code == 200 || have == 0 => {
                *kept = 0;
                (
                    std::fs::File::create(partial).map_err(io_err(partial))?,
                    size,
                )
            }
            206 => {
                *kept = 0;
                let _ = std::fs::remove_file(partial);
                return Err(FetchError::Transport {
                    url: url.into(),
                    why: format!("answer to Range bytes={have}- starts elsewhere; restarting"),
                });
            }
            404 => return Err(FetchError::NotFound { url: url.into() }),
            _ => {
                // 416: the server's file is shorter than what we hold, so it changed.
                if code == 416 {
                    *kept = 0;
                    let _ = std::fs::remove_file(partial);
                }
                return Err(FetchError::Status {
                    url: url.into(),
                    code,
                });
            }
        };
        let mut body = resp.into_body().into_reader().take(want.saturating_add(1));
        let mut buf = vec![0u8; 64 << 10];
        let mut got = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    // What arrived stays in the partial file for the next attempt.
                    let _ = file.sync_data();
                    return Err(self.map_io(url, e));
                }
            };
            got += n as u64;
            if got > want {
                *kept = 0;
                drop(file);
                let _ = std::fs::remove_file(partial);
                return Err(FetchError::TooLarge {
                    url: url.into(),
                    limit: size,
                });
            }
            file.write_all(&buf[..n]).map_err(io_err(partial))?;
        }
        file.sync_data().map_err(io_err(partial))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_range_start() {
        assert_eq!(super::range_start("bytes 100-199/200"), Some(100));
        assert_eq!(super::range_start("bytes */200"), None);
        assert_eq!(super::range_start("items 1-2/3"), None);
    }
}
