//! A repository's index.json and the modules it lists come from the network: parsing them,
//! checking the signature, unpacking and reading a module's .modinfo must give values or typed errors,
//! never a panic. An index that parses must also survive its own round trip unchanged, since
//! the signature covers the re-serialized bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peregrine_driver_index::{explain, index, modinfo, unpack, Index};

fuzz_target!(|data: &[u8]| {
    // Compressed modules (from a repository or what DKMS left): bounded
    // output or a typed error.
    if matches!(
        unpack::Format::of(data),
        Some(unpack::Format::Gzip | unpack::Format::Xz | unpack::Format::Zstd)
    ) {
        if let Ok(image) = unpack::image(data, "fuzz.ko.xz") {
            assert!(image.len() <= unpack::MAX_IMAGE_BYTES);
            let _ = modinfo::read(&image, "fuzz.ko");
        }
        return;
    }
    if data.starts_with(b"\x7fELF") {
        if let Ok(info) = modinfo::read(data, "fuzz.ko") {
            let _ = info.kernel_release();
        }
        let _ = modinfo::has_signature(data);
        let _ = modinfo::parse_fields(data);
        return;
    }
    let Ok(idx) = Index::parse(data, "fuzz") else {
        return;
    };
    // The key the seed corpus (fuzz/seeds/driver_index) is signed with.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    let _ = idx.verify_signature(&key, "fuzz");
    // The signer's own key as the index states it: hex and curve-point parsing.
    if let Some(sig) = &idx.signature {
        if let Some(bytes) = index::from_hex(&sig.public_key).and_then(|v| <[u8; 32]>::try_from(v).ok()) {
            if let Ok(k) = ed25519_dalek::VerifyingKey::from_bytes(&bytes) {
                let _ = idx.verify_signature(&k, "fuzz");
            }
        }
    }
    let again = Index::parse(&idx.to_json(), "round trip");
    assert_eq!(again.ok().as_ref(), Some(&idx), "the index changed in its own round trip");
    for a in idx.artifacts.iter().take(4) {
        let _ = explain::explain(&idx, &a.kernel_release, Some(&a.arch));
    }
    let _ = explain::explain(&idx, "6.1.0-10-amd64", None);
});
