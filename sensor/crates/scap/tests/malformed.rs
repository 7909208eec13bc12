//! Malformed input: every case gives a specific error naming the offset,
//! never a panic. Captures are built with our writer, then damaged.

mod common;

use std::io::Cursor;

use peregrine_event::{DecodeError, EventBuilder, EventRef};
use peregrine_scap::{
    CaptureReader, CaptureWriter, Converter, FdEntry, FdInfo, Metadata, ProcInfo, ScapError,
    UserInfo,
};
use peregrine_wire::raw;

fn meta() -> Metadata {
    Metadata {
        procs: vec![ProcInfo {
            tid: 7,
            pid: 7,
            comm: b"cat".to_vec(),
            exe: b"/bin/cat".to_vec(),
            ..Default::default()
        }],
        fds: vec![FdEntry {
            tid: 7,
            fd: 3,
            ino: 9,
            info: FdInfo::File {
                open_flags: 0,
                name: b"/etc/passwd".to_vec(),
                dev: Some(0x803),
            },
        }],
        users: vec![UserInfo {
            uid: 0,
            gid: 0,
            name: b"root".to_vec(),
            homedir: b"/root".to_vec(),
            shell: b"/bin/sh".to_vec(),
        }],
        ..Default::default()
    }
}

/// A CLOSE_X (res = 0) at `ts` on tid 7.
fn close_x(ts: u64) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .i64(3)
        .finish(ts, 7, raw::PPME_SYSCALL_CLOSE_X as u16)
        .unwrap()
}

fn capture(events: &[Vec<u8>]) -> Vec<u8> {
    let mut w = CaptureWriter::new(Vec::new(), &meta()).unwrap();
    for e in events {
        w.write_event(&EventRef::parse(e).unwrap(), 1, 0).unwrap();
    }
    w.finish().unwrap()
}

/// (offset, type, len) of every block.
fn blocks(b: &[u8]) -> Vec<(usize, u32, u32)> {
    let mut v = Vec::new();
    let mut off = 0;
    while off + 8 <= b.len() {
        let t = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        let l = u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap());
        v.push((off, t, l));
        off += l as usize;
    }
    v
}

fn first_event_block(b: &[u8]) -> (usize, u32, u32) {
    *blocks(b)
        .iter()
        .find(|x| x.1 == raw::EV_BLOCK_TYPE_V2)
        .unwrap()
}

/// Reads everything; the first error.
fn read(bytes: Vec<u8>) -> Result<u64, ScapError> {
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes)))?;
    let mut n = 0;
    while r.next_raw()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn valid_capture_reads_back() {
    let b = capture(&[close_x(1), close_x(2)]);
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(b))).unwrap();
    assert_eq!(r.metadata(), &meta());
    assert_eq!(r.next_raw().unwrap().unwrap().event.ts(), 1);
    assert_eq!(r.next_raw().unwrap().unwrap().num, 2);
    assert!(r.next_raw().unwrap().is_none());
}

#[test]
fn truncated_file_mid_block() {
    let mut b = capture(&[close_x(1), close_x(2)]);
    let (off, t, _) = first_event_block(&b);
    b.truncate(off + 20);
    match read(b) {
        Err(ScapError::Truncated {
            offset, block_type, ..
        }) => assert_eq!((offset, block_type), (off as u64, Some(t))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_file_mid_block_header() {
    let mut b = capture(&[close_x(1)]);
    let len = b.len();
    b.extend_from_slice(&[0x16, 0x02, 0, 0]);
    match read(b) {
        Err(ScapError::Truncated {
            offset,
            need: 8,
            have: 4,
            ..
        }) => {
            assert_eq!(offset, len as u64)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn block_length_overflowing_the_event_limit() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    set_u32(&mut b, off + 4, 0x7fff_fff0);
    let e = read(b).unwrap_err();
    assert!(
        matches!(e, ScapError::BlockTooLarge { offset, len: 0x7fff_fff0, .. } if offset == off as u64),
        "{e}"
    );
    assert!(e.to_string().contains(&format!("offset {off}")));
}

#[test]
fn huge_declared_metadata_length_in_a_short_file_is_truncation_not_allocation() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = *blocks(&b)
        .iter()
        .find(|x| x.1 == raw::PL_BLOCK_TYPE_V9)
        .unwrap();
    // 255 MiB declared, a few hundred bytes present.
    set_u32(&mut b, off + 4, 255 << 20);
    assert!(
        matches!(read(b.clone()), Err(ScapError::Truncated { offset, .. }) if offset == off as u64)
    );
    set_u32(&mut b, off + 4, 0xffff_fff0);
    assert!(
        matches!(read(b), Err(ScapError::BlockTooLarge { offset, .. }) if offset == off as u64)
    );
}

#[test]
fn wrong_trailer() {
    let mut b = capture(&[close_x(1)]);
    let (off, t, len) = first_event_block(&b);
    set_u32(&mut b, off + len as usize - 4, len + 4);
    let e = read(b).unwrap_err();
    assert!(
        matches!(e, ScapError::Trailer { offset, block_type, header, trailer }
            if offset == off as u64 && block_type == t && header == len && trailer == len + 4),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "block at offset {off} (type 0x216): trailer length {} != header length {len} (corrupt framing)",
            len + 4
        )
    );
}

#[test]
fn event_with_33_params() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    // nparams lives at event offset 22, after the 8-byte header + 2-byte cpu.
    set_u32(&mut b, off + 10 + 22, 33);
    match read(b) {
        Err(ScapError::Event {
            offset,
            source: DecodeError::TooManyParams { nparams: 33, .. },
            ..
        }) => assert_eq!(offset, off as u64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nparams_length_array_past_len() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    set_u32(&mut b, off + 10 + 22, 30);
    assert!(matches!(
        read(b),
        Err(ScapError::Event { offset, source: DecodeError::LengthTooSmall { .. }, .. }) if offset == off as u64
    ));
}

#[test]
fn param_lengths_past_len() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    b[off + 10 + 26] = 200; // first u16 length
    assert!(matches!(
        read(b),
        Err(ScapError::Event {
            source: DecodeError::ParamsOverflow { .. },
            ..
        })
    ));
}

#[test]
fn event_len_past_block() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    set_u32(&mut b, off + 10 + 16, 4000);
    assert!(matches!(
        read(b),
        Err(ScapError::Event {
            source: DecodeError::LengthOverflow { .. },
            ..
        })
    ));
}

#[test]
fn gzip_garbage() {
    let mut b = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    b.extend((0..200u32).map(|i| (i * 37 % 251) as u8));
    assert!(matches!(read(b), Err(ScapError::Read { offset: 0, .. })));
}

#[test]
fn gzip_capture_reads_like_plain() {
    let plain = capture(&[close_x(1), close_x(2)]);
    let mut w = CaptureWriter::new_gzip(Vec::new(), &meta()).unwrap();
    for e in [close_x(1), close_x(2)] {
        w.write_event(&EventRef::parse(&e).unwrap(), 1, 0).unwrap();
    }
    let gz = w.finish().unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(read(gz).unwrap(), read(plain).unwrap());
}

#[test]
fn zero_length_block() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, _) = first_event_block(&b);
    set_u32(&mut b, off + 4, 0);
    assert!(
        matches!(read(b), Err(ScapError::BlockTooShort { offset, len: 0, .. }) if offset == off as u64)
    );
}

#[test]
fn block_length_not_multiple_of_4() {
    let mut b = capture(&[close_x(1)]);
    let (off, _, len) = first_event_block(&b);
    set_u32(&mut b, off + 4, len + 2);
    assert!(
        matches!(read(b), Err(ScapError::BlockMisaligned { offset, .. }) if offset == off as u64)
    );
}

#[test]
fn not_a_capture_and_empty_file() {
    assert!(matches!(
        read(b"hello world, not a capture".to_vec()),
        Err(ScapError::NotACapture { .. })
    ));
    assert!(matches!(
        read(Vec::new()),
        Err(ScapError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn wrong_byte_order_and_version() {
    let mut b = capture(&[]);
    set_u32(&mut b, 8, 0x4d3c2b1a);
    assert!(matches!(
        read(b.clone()),
        Err(ScapError::ByteOrder { offset: 0, .. })
    ));
    set_u32(&mut b, 8, 0x1a2b3c4d);
    b[12] = 2;
    assert!(matches!(read(b), Err(ScapError::Version { major: 2, .. })));
}

#[test]
fn capture_without_events_is_an_empty_stream() {
    assert_eq!(read(capture(&[])).unwrap(), 0);
}

#[test]
fn metadata_block_after_first_event() {
    let mut b = capture(&[close_x(1)]);
    let pl = blocks(&b)
        .into_iter()
        .find(|x| x.1 == raw::PL_BLOCK_TYPE_V9)
        .unwrap();
    let copy = b[pl.0..pl.0 + pl.2 as usize].to_vec();
    let at = b.len();
    b.extend_from_slice(&copy);
    assert!(
        matches!(read(b), Err(ScapError::UnexpectedBlock { offset, .. }) if offset == at as u64)
    );
}

#[test]
fn proc_entry_shorter_than_its_fields() {
    let mut b = capture(&[close_x(1)]);
    let pl = blocks(&b)
        .into_iter()
        .find(|x| x.1 == raw::PL_BLOCK_TYPE_V9)
        .unwrap();
    set_u32(&mut b, pl.0 + 8, 20);
    let e = read(b).unwrap_err();
    assert!(
        matches!(e, ScapError::Metadata { offset, .. } if offset == pl.0 as u64),
        "{e}"
    );
}

#[test]
fn event_types_from_newer_software_are_skipped_and_counted() {
    let newer = EventBuilder::new().u64(1).finish(5, 7, 600).unwrap();
    let b = capture(&[close_x(1), newer, close_x(2)]);
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(b))).unwrap();
    assert_eq!(r.next_raw().unwrap().unwrap().num, 1);
    let e = r.next_raw().unwrap().unwrap();
    assert_eq!((e.num, e.event.ts()), (2, 2));
    assert_eq!(r.stats().skipped_unknown_type, 1);
}

#[test]
fn dump_flags_use_evf_blocks() {
    let mut w = CaptureWriter::new(Vec::new(), &Metadata::default()).unwrap();
    w.write_event(&EventRef::parse(&close_x(1)).unwrap(), 3, 1)
        .unwrap();
    let b = w.finish().unwrap();
    assert!(blocks(&b).iter().any(|x| x.1 == raw::EVF_BLOCK_TYPE_V2));
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(b))).unwrap();
    let e = r.next_raw().unwrap().unwrap();
    assert_eq!((e.cpu, e.dump_flags), (3, 1));
}

/// Flipping bytes of a real capture anywhere must give errors, not panics.
#[test]
fn random_damage_never_panics() {
    let orig =
        std::fs::read(common::fixtures().join("captures/anchor-vm/known-workload.scap")).unwrap();
    let orig = orig[..orig.len().min(60_000)].to_vec();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut b = orig.clone();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % b.len() as u64) as usize;
            b[i] = (x >> 32) as u8;
        }
        if let Ok(mut r) = CaptureReader::from_reader(Box::new(Cursor::new(b))) {
            while let Ok(Some(_)) = r.next_event() {}
        }
    }
}

#[test]
fn converter_store_is_bounded_and_evicts_oldest() {
    let mut c = Converter::with_max_tids(2);
    for tid in 1..=3u64 {
        let e = EventBuilder::new()
            .i64(3)
            .finish(tid, tid, raw::PPME_SYSCALL_CLOSE_E as u16)
            .unwrap();
        assert!(c.convert(EventRef::parse(&e).unwrap()).unwrap().is_none());
    }
    assert_eq!(c.stored_tids(), 2);
    assert_eq!(c.stats().slot_evictions, 1);
    // tid 1 was evicted: its exit gets the default fd (zeros).
    let x = EventBuilder::new()
        .i64(0)
        .finish(9, 1, raw::PPME_SYSCALL_CLOSE_X as u16)
        .unwrap();
    let out = c.convert(EventRef::parse(&x).unwrap()).unwrap().unwrap();
    assert_eq!(out.param_raw(1), Some(&[0u8; 8][..]));
}

#[test]
fn converter_enter_exit_mismatch_is_an_empty_slot() {
    let mut c = Converter::new();
    let enter = EventBuilder::new()
        .i64(3)
        .finish(1, 5, raw::PPME_SYSCALL_CLOSE_E as u16)
        .unwrap();
    assert!(c
        .convert(EventRef::parse(&enter).unwrap())
        .unwrap()
        .is_none());
    // A 2022 CONNECT_X (res, tuple) whose enter was lost.
    let x = EventBuilder::new()
        .i64(-111)
        .empty()
        .finish(2, 5, raw::PPME_SOCKET_CONNECT_X as u16)
        .unwrap();
    let out = c.convert(EventRef::parse(&x).unwrap()).unwrap().unwrap();
    assert_eq!(out.nparams(), 4);
    assert_eq!(c.stats().slot_mismatches, 1);
    assert_eq!(c.stored_tids(), 0);
}

#[test]
fn container_event_becomes_json() {
    let mut c = Converter::new();
    let e = EventBuilder::new()
        .str("abc")
        .u32(1)
        .str("web")
        .str("nginx")
        .finish(1, 5, raw::PPME_CONTAINER_E as u16)
        .unwrap();
    let out = c.convert(EventRef::parse(&e).unwrap()).unwrap().unwrap();
    let json = out.param_raw(0).unwrap();
    assert_eq!(
        json,
        b"{\"id\":\"abc\",\"type\":1,\"name\":\"web\",\"image\":\"nginx\"}\0"
    );
}
