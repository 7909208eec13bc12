//! Kernel module images as they are found on disk: plain ELF, or compressed
//! with gzip, xz or zstd (`CONFIG_MODULE_COMPRESS_*`). Debian's 6.12 kernels
//! compress their modules with xz, and DKMS compresses what it builds to
//! match the kernel, so a module DKMS leaves is often `peregrine.ko.xz`.
//! `finit_module` and the modinfo checks want the plain image.
//!
//! The format is read from the magic bytes, never from the file name, and
//! the output is bounded: these bytes may come from a repository or a
//! host's disk, and a small corrupt or hostile file must give an error, not
//! gigabytes of memory or a panic.

use std::io::{Read, Write};

/// No kernel module comes near this (the largest in Debian are ~30 MiB).
pub const MAX_IMAGE_BYTES: usize = 256 << 20;

/// Memory the xz decoder may use, dictionary included.
const XZ_MEMLIMIT: u64 = 128 << 20;

/// How a module image is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Elf,
    Gzip,
    Xz,
    Zstd,
}

impl Format {
    /// The format `bytes` start with, if any of the four.
    pub fn of(bytes: &[u8]) -> Option<Format> {
        const MAGICS: [(&[u8], Format); 4] = [
            (b"\x7fELF", Format::Elf),
            (b"\x1f\x8b", Format::Gzip),
            (b"\xfd7zXZ\x00", Format::Xz),
            (b"\x28\xb5\x2f\xfd", Format::Zstd),
        ];
        MAGICS
            .iter()
            .find(|(m, _)| bytes.starts_with(m))
            .map(|&(_, f)| f)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("{what}: not a kernel module: neither ELF nor gzip, xz or zstd data (it starts with {head})")]
    Unknown { what: String, head: String },
    #[error("{what}: its {format} data is corrupt or cut short: {detail}")]
    Corrupt {
        what: String,
        format: &'static str,
        detail: String,
    },
    #[error("{what}: unpacks to more than {} MiB; no kernel module is that large", .max >> 20)]
    TooLarge { what: String, max: usize },
}

/// A `Vec` writer that refuses to grow past `max`.
struct Bounded {
    out: Vec<u8>,
    max: usize,
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.max {
            self.over = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The plain image of a module stored as `bytes`; `what` names the file
/// for errors. A plain ELF image is returned as is.
pub fn image(bytes: &[u8], what: &str) -> Result<Vec<u8>, UnpackError> {
    bounded(bytes, what, MAX_IMAGE_BYTES)
}

fn bounded(bytes: &[u8], what: &str, max: usize) -> Result<Vec<u8>, UnpackError> {
    let Some(format) = Format::of(bytes) else {
        let head = bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(UnpackError::Unknown {
            what: what.into(),
            head: if head.is_empty() {
                "nothing: it is empty".into()
            } else {
                head
            },
        });
    };
    let mut sink = Bounded {
        out: Vec::new(),
        max,
        over: false,
    };
    let result = match format {
        Format::Elf => sink.write_all(bytes).map_err(|e| e.to_string()),
        Format::Gzip => copy(flate2::read::MultiGzDecoder::new(bytes), &mut sink),
        // liblzma allocates the dictionary the header asks for (up to
        // 1.5 GiB); kbuild uses 1 MiB and `xz` presets at most 64 MiB.
        Format::Xz => {
            liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, liblzma::stream::CONCATENATED)
                .map_err(|e| e.to_string())
                .and_then(|st| copy(liblzma::read::XzDecoder::new_stream(bytes, st), &mut sink))
        }
        Format::Zstd => ruzstd::decoding::StreamingDecoder::new(&mut &bytes[..])
            .map_err(|e| e.to_string())
            .and_then(|d| copy(d, &mut sink)),
    };
    match result {
        _ if sink.over => Err(UnpackError::TooLarge {
            what: what.into(),
            max,
        }),
        Err(detail) => Err(UnpackError::Corrupt {
            what: what.into(),
            format: format.name(),
            detail,
        }),
        Ok(()) => Ok(sink.out),
    }
}

fn copy(mut r: impl Read, w: &mut Bounded) -> Result<(), String> {
    std::io::copy(&mut r, w)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELF: &[u8] = b"\x7fELF\x02\x01\x01 a module image, repeated repeated repeated";

    fn xz(plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        liblzma::read::XzEncoder::new(plain, 6)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn each_format_unpacks_to_the_same_image() {
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(ELF).unwrap();
            e.finish().unwrap()
        };
        let xz = xz(ELF);
        let zst =
            ruzstd::encoding::compress_to_vec(ELF, ruzstd::encoding::CompressionLevel::Fastest);
        for (stored, format) in [
            (ELF.to_vec(), Format::Elf),
            (gz, Format::Gzip),
            (xz, Format::Xz),
            (zst, Format::Zstd),
        ] {
            assert_eq!(Format::of(&stored), Some(format));
            assert_eq!(image(&stored, "m.ko").unwrap(), ELF, "{format:?}");
        }
    }

    /// What kbuild's `modules_install` and DKMS run (CONFIG_MODULE_COMPRESS_XZ
    /// / _ZSTD): the real tools' output, not only our test encoders'.
    #[test]
    fn the_kernel_build_tools_output_unpacks() {
        use std::process::{Command, Stdio};
        for (tool, args) in [
            ("xz", &["--check=crc32", "--lzma2=dict=1MiB", "-c"][..]),
            ("zstd", &["-T0", "-q", "-c"][..]),
            ("gzip", &["-n", "-c"][..]),
        ] {
            let mut child = Command::new(tool)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{tool} (scripts/install-deps.sh --test): {e}"));
            child.stdin.take().unwrap().write_all(ELF).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{tool}");
            assert_eq!(image(&out.stdout, tool).unwrap(), ELF, "{tool}");
        }
    }

    #[test]
    fn bad_input_is_named_not_a_panic() {
        let e = image(b"PK\x03\x04zip", "m.ko.zip").unwrap_err().to_string();
        assert!(e.contains("m.ko.zip") && e.contains("50 4b 03 04"), "{e}");
        let e = image(b"", "empty.ko").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let xz = xz(ELF);
        let cut = &xz[..xz.len() / 2];
        let e = image(cut, "peregrine.ko.xz").unwrap_err().to_string();
        assert!(e.contains("peregrine.ko.xz: its xz data is corrupt"), "{e}");
        let e = image(b"\x28\xb5\x2f\xfd\xff\xff", "p.ko.zst")
            .unwrap_err()
            .to_string();
        assert!(e.contains("zstd data is corrupt"), "{e}");
    }

    /// Found by the driver_index fuzz target in lzma-rs (the first xz
    /// decoder used here): a footer's backward size of 0xffffffff overflowed
    /// an addition and panicked. liblzma reports it.
    #[test]
    fn xz_backward_size_overflow_is_an_error_not_a_panic() {
        let b = include_bytes!("../../fuzz/seeds/driver_index/xz-backward-size-overflow.ko.xz");
        let e = image(b, "m.ko.xz").unwrap_err().to_string();
        assert!(e.contains("xz data is corrupt"), "{e}");
    }

    /// A small file must not unpack into unbounded memory.
    #[test]
    fn output_stops_at_the_limit() {
        let zeros = vec![0u8; 4 << 20];
        let level = ruzstd::encoding::CompressionLevel::Fastest;
        let zst = ruzstd::encoding::compress_to_vec(&zeros[..], level);
        let xz = xz(&zeros);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        };
        for stored in [zst, xz, gz] {
            assert!(stored.len() < 1 << 20);
            let e = bounded(&stored, "bomb.ko", 1 << 20).unwrap_err();
            assert!(matches!(e, UnpackError::TooLarge { .. }), "{e}");
            assert!(bounded(&stored, "bomb.ko", 4 << 20).is_ok());
        }
    }
}
