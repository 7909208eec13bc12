//! `peregrine-driver-index`: build, verify, serve and mirror driver repositories.
//!
//! Exit codes: 0 success, 1 error (bad input, network, I/O), 2 usage, 3 verification found
//! problems, 4 `explain` found no driver for the kernel.

use anyhow::Context;
use clap::{Parser, Subcommand};
use peregrine_driver_index::{explain, fetch, index, repo, serve, FetchOptions, Fetcher};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "peregrine-driver-index",
    version,
    about = "Build, verify, serve and mirror Peregrine driver repositories"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scan DIR for *.ko / *.ko.gz and write DIR/index.json.
    Build {
        dir: PathBuf,
        /// Distribution the kernels come from.
        #[arg(long, default_value = "debian")]
        target: String,
        /// Hex ed25519 secret seed file; signs the index.
        #[arg(long)]
        signing_key: Option<PathBuf>,
    },
    /// Check every artifact in DIR against DIR/index.json (size, sha256, signature).
    Verify {
        dir: PathBuf,
        /// Hex ed25519 public key file; the index must be signed by it.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Accept artifacts absent from DIR (a mirror of a few kernels).
        #[arg(long)]
        allow_missing: bool,
    },
    /// Serve DIR over HTTP/1.1.
    Serve {
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Copy a repository (index first, then verified artifacts) into a directory; resumable.
    Mirror {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: PathBuf,
        /// Only these kernel releases (repeatable); all when absent.
        #[arg(long = "kernel-release")]
        kernel_release: Vec<String>,
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Seconds per attempt.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        #[arg(long, default_value_t = 2)]
        retries: u32,
        /// PEM bundle replacing the built-in TLS roots.
        #[arg(long)]
        ca_bundle: Option<PathBuf>,
    },
    /// Say what a repository (directory or URL) holds for a kernel release.
    Explain {
        /// Repository directory or URL (http://, https://, file://).
        #[arg(long, default_value = ".")]
        repo: String,
        #[arg(long)]
        kernel_release: String,
        #[arg(long)]
        arch: Option<String>,
    },
    /// Write a new ed25519 key pair: PREFIX.key (secret seed) and PREFIX.pub (hex).
    Keygen { prefix: PathBuf },
}

fn main() {
    let code = match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("peregrine-driver-index: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.cmd {
        Cmd::Build {
            dir,
            target,
            signing_key,
        } => {
            let key = signing_key
                .as_deref()
                .map(index::read_signing_key)
                .transpose()?;
            let idx = repo::build(&dir, &target, key.as_ref())?;
            fetch::write_atomic(&dir.join(repo::INDEX_FILE), &idx.to_json())?;
            println!(
                "{}: {} artifact(s){}",
                dir.join(repo::INDEX_FILE).display(),
                idx.artifacts.len(),
                if key.is_some() { ", signed" } else { "" }
            );
            Ok(0)
        }
        Cmd::Verify {
            dir,
            public_key,
            allow_missing,
        } => {
            let key = public_key
                .as_deref()
                .map(index::read_public_key)
                .transpose()?;
            let problems = repo::verify(&dir, key.as_ref(), allow_missing)?;
            for p in &problems {
                println!("{p}");
            }
            if problems.is_empty() {
                println!("{}: ok", dir.display());
                Ok(0)
            } else {
                Ok(3)
            }
        }
        Cmd::Serve { dir, listen } => {
            let listener = std::net::TcpListener::bind(&listen)
                .with_context(|| format!("listen on {listen}"))?;
            eprintln!(
                "serving {} on http://{}",
                dir.display(),
                listener.local_addr()?
            );
            serve::serve(dir, listener)?;
            Ok(0)
        }
        Cmd::Mirror {
            from,
            to,
            kernel_release,
            public_key,
            timeout,
            retries,
            ca_bundle,
        } => {
            let key = public_key
                .as_deref()
                .map(index::read_public_key)
                .transpose()?;
            let fetcher = Fetcher::new(FetchOptions {
                timeout: Duration::from_secs(timeout),
                retries,
                ca_bundle,
                ..FetchOptions::default()
            })?;
            let r = repo::mirror(&fetcher, &from, &to, &kernel_release, key.as_ref())?;
            println!(
                "{} -> {}: fetched {} (resumed {}), already present {}, not selected {}",
                from,
                to.display(),
                r.fetched,
                r.resumed,
                r.already_present,
                r.skipped
            );
            Ok(0)
        }
        Cmd::Explain {
            repo: location,
            kernel_release,
            arch,
        } => {
            let idx = if location.contains("://") {
                let url = fetch::join_url(&location, repo::INDEX_FILE);
                let bytes =
                    Fetcher::new(FetchOptions::default())?.get(&url, index::MAX_INDEX_BYTES)?;
                index::Index::parse(&bytes, &url)?
            } else {
                repo::read_index(&PathBuf::from(&location))?
            };
            let e = explain::explain(&idx, &kernel_release, arch.as_deref());
            if e.exact.is_empty() {
                println!("{location}: no driver for kernel {kernel_release}");
                if e.nearest.is_empty() {
                    println!("  the index holds no kernels for this arch");
                } else {
                    println!("  nearest kernels in the index: {}", e.nearest.join(", "));
                }
                println!("  build one with kmod/module against that kernel's headers, or use the modern eBPF probe");
                return Ok(4);
            }
            for a in e.exact {
                println!(
                    "{} {} {} driver {} api {} schema {} ({} bytes, sha256 {}) uname -v {:?}",
                    a.file,
                    a.arch,
                    a.target,
                    a.driver_version,
                    a.api_version,
                    a.schema_version,
                    a.size,
                    a.sha256,
                    a.kernel_version
                );
            }
            Ok(0)
        }
        Cmd::Keygen { prefix } => {
            let mut seed = [0u8; 32];
            use std::io::Read;
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut seed))
                .context("read /dev/urandom")?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let secret = prefix.with_extension("key");
            let public = prefix.with_extension("pub");
            fetch::write_atomic(&secret, format!("{}\n", index::to_hex(&seed)).as_bytes())?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restrict {}", secret.display()))?;
            fetch::write_atomic(
                &public,
                format!("{}\n", index::to_hex(key.verifying_key().as_bytes())).as_bytes(),
            )?;
            println!("wrote {} and {}", secret.display(), public.display());
            Ok(0)
        }
    }
}
