//! Timestamps as sysdig prints them, in UTC (captures carry no time zone;
//! UTC keeps output identical across machines).

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `HH:MM:SS.nnnnnnnnn` (evt.time).
pub fn format_time(ts_ns: u64, out: &mut String) {
    use std::fmt::Write;
    let secs = ts_ns / 1_000_000_000;
    let s = secs % 86_400;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{:09}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        ts_ns % 1_000_000_000
    );
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (evt.datetime).
pub fn format_date_time(ts_ns: u64, out: &mut String) {
    use std::fmt::Write;
    let (y, m, d) = civil((ts_ns / 1_000_000_000 / 86_400) as i64);
    let _ = write!(out, "{y:04}-{m:02}-{d:02} ");
    format_time(ts_ns, out);
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants() {
        let mut s = String::new();
        // 2026-11-22 20:50:50 UTC
        super::format_date_time(1_795_380_650_123_456_789, &mut s);
        assert_eq!(s, "2026-11-22 20:50:50.123456789");
        s.clear();
        super::format_date_time(0, &mut s);
        assert_eq!(s, "1970-01-01 00:00:00.000000000");
    }
}
