//! The parsers of untrusted bytes (index.json from a repository, a module's ELF) return
//! errors, never panic, on damaged input: byte flips, truncations and insertions of valid
//! documents, driven by a fixed-seed generator so a failure reproduces.

use peregrine_driver_index::{index, modinfo, Artifact, Index, Kind};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut XorShift, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(rng.below(v.len() + 1)),
            2 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.next() as u8);
            }
            _ if !v.is_empty() => {
                let i = rng.below(v.len());
                const JSON: &[u8] = b"{}[]\",:0\\u";
                v[i] = JSON[rng.below(JSON.len())];
            }
            _ => {}
        }
    }
    v
}

fn sample_index() -> Vec<u8> {
    let mut idx = Index::new(1);
    idx.artifacts.push(Artifact {
        kind: Kind::Kmod,
        arch: "x86_64".into(),
        kernel_release: "6.1.0-10-amd64".into(),
        kernel_version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)".into(),
        target: "debian".into(),
        driver_version: "1.0.0".into(),
        api_version: "1.0.0".into(),
        schema_version: "4.5.1".into(),
        file: "x86_64/peregrine_debian_6.1.0-10-amd64.ko".into(),
        size: 10,
        sha256: "ab".repeat(32),
        built_at: 2,
    });
    idx.sign(&ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]));
    idx.to_json()
}

#[test]
fn damaged_indexes_are_errors_not_panics() {
    let base = sample_index();
    let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]).verifying_key();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for _ in 0..4_000 {
        let bytes = mutate(&mut rng, &base);
        if let Ok(idx) = Index::parse(&bytes, "fuzz") {
            accepted += 1;
            // Whatever parses must still be checkable, and escape no directory.
            let _ = idx.verify_signature(&key, "fuzz");
            assert!(idx
                .artifacts
                .iter()
                .all(|a| index::safe_relative_path(&a.file)));
        }
    }
    assert!(
        accepted > 0,
        "no mutation kept a parseable index: the generator is too harsh"
    );
}

#[test]
fn damaged_modules_are_errors_not_panics() {
    let base = modinfo::fake_module("6.1.0-10-amd64 SMP preempt mod_unload ", "1.0.0", "1.0.0");
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..4_000 {
        let bytes = mutate(&mut rng, &base);
        let _ = modinfo::read(&bytes, "fuzz");
    }
}
