//! Timestamps as sysdig and Falco print them: `evt.time` and
//! `evt.datetime` in the local time zone once a program calls
//! [`use_local_time`] (the `peregrine` binary does, as sysdig and Falco
//! print local time), UTC otherwise (the library default, so tests and
//! captures compare the same on every machine). ISO 8601 output is UTC.

use std::sync::OnceLock;

static ZONE: OnceLock<jiff::tz::TimeZone> = OnceLock::new();

/// From now on, print times in this system's time zone (`TZ`, else
/// /etc/localtime; UTC when neither can be read).
pub fn use_local_time() {
    let _ = ZONE.set(jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC));
}

/// The local offset at `ts_ns` in seconds (0 before [`use_local_time`]).
fn offset_secs(ts_ns: u64) -> i64 {
    let Some(tz) = ZONE.get() else {
        return 0;
    };
    jiff::Timestamp::from_nanosecond(i128::from(ts_ns))
        .map_or(0, |t| i64::from(tz.to_offset(t).seconds()))
}

/// Seconds since the epoch, shifted into the chosen zone.
fn local_secs(ts_ns: u64) -> i64 {
    (ts_ns / 1_000_000_000) as i64 + offset_secs(ts_ns)
}

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
    write_time(local_secs(ts_ns), ts_ns, out);
}

fn write_time(secs: i64, ts_ns: u64, out: &mut String) {
    use std::fmt::Write;
    let s = secs.rem_euclid(86_400);
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
    write_date_time(local_secs(ts_ns), ts_ns, out);
}

/// As [`format_date_time`], always in UTC (ISO 8601 output says `+0000`).
pub fn format_date_time_utc(ts_ns: u64, out: &mut String) {
    write_date_time((ts_ns / 1_000_000_000) as i64, ts_ns, out);
}

fn write_date_time(secs: i64, ts_ns: u64, out: &mut String) {
    use std::fmt::Write;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let _ = write!(out, "{y:04}-{m:02}-{d:02} ");
    write_time(secs, ts_ns, out);
}

#[cfg(test)]
mod tests {
    /// Local time follows the zone's offset at that instant (DST included);
    /// the UTC form never moves. The zone is set once per process, so this
    /// is the only test here that sets it.
    #[test]
    fn local_time_follows_the_zone_utc_form_does_not() {
        let tz = jiff::tz::TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let _ = super::ZONE.set(tz);
        let (winter, summer) = (1_795_380_650_123_456_789u64, 1_784_000_000_000_000_000u64);
        let mut s = String::new();
        super::format_date_time(winter, &mut s);
        assert_eq!(s, "2026-11-22 21:50:50.123456789");
        s.clear();
        super::format_date_time_utc(winter, &mut s);
        assert_eq!(s, "2026-11-22 20:50:50.123456789");
        s.clear();
        super::format_date_time(summer, &mut s);
        let mut u = String::new();
        super::format_date_time_utc(summer, &mut u);
        // Two hours ahead in summer.
        assert_eq!(
            &s[11..13],
            format!("{:02}", (u[11..13].parse::<u32>().unwrap() + 2) % 24)
        );
    }

    #[test]
    fn known_instants() {
        let mut s = String::new();
        // 2026-11-22 20:50:50 UTC
        super::format_date_time_utc(1_795_380_650_123_456_789, &mut s);
        assert_eq!(s, "2026-11-22 20:50:50.123456789");
        s.clear();
        super::format_date_time_utc(0, &mut s);
        assert_eq!(s, "1970-01-01 00:00:00.000000000");
    }
}
