//! The driver API the sensor speaks, from the ring ABI header (`kmod/include/peregrine/ring.h`).

use peregrine_wire::raw::{PRG_API_VERSION_MAJOR, PRG_API_VERSION_MINOR, PRG_API_VERSION_PATCH};

/// `major.minor.patch` of the sensor's API.
pub fn sensor_api() -> String {
    format!("{PRG_API_VERSION_MAJOR}.{PRG_API_VERSION_MINOR}.{PRG_API_VERSION_PATCH}")
}

/// A module speaking `version` works with the sensor: same major, minor at least the sensor's
/// (a newer minor only adds).
// The minor comes from the header and is 0 today, which makes `>=` look absurd to clippy.
#[allow(clippy::absurd_extreme_comparisons)]
pub fn compatible(version: &str) -> bool {
    let mut it = version.trim().split('.').map(|p| p.parse::<u32>().ok());
    match (it.next().flatten(), it.next().flatten()) {
        (Some(major), Some(minor)) => {
            major == PRG_API_VERSION_MAJOR && minor >= PRG_API_VERSION_MINOR
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility() {
        assert!(compatible(&sensor_api()));
        assert!(compatible(&format!(
            "{PRG_API_VERSION_MAJOR}.{}.0",
            PRG_API_VERSION_MINOR + 1
        )));
        assert!(!compatible(&format!("{}.0.0", PRG_API_VERSION_MAJOR + 1)));
        assert!(!compatible("garbage"));
        assert!(!compatible(""));
    }
}
