//! Cross-check of kmod/include/peregrine/ppm_flags.h (the C constants the
//! probe converts native flags into) against the generated flag tables.

#[test]
fn ppm_flags_match_flag_tables() {
    let header = include_str!("../../../../kmod/include/peregrine/ppm_flags.h");
    let tables = peregrine_wire::FLAG_TABLES;
    let mut checked = 0;
    for line in header.lines() {
        let mut it = line.split_whitespace();
        let (Some("#define"), Some(name), Some(val)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if !name.starts_with("PPM_") {
            continue;
        }
        let v = u32::from_str_radix(val.trim_start_matches("0x"), 16).unwrap_or(u32::MAX);
        let bare = &name[4..];
        let wanted = match bare.strip_prefix("CL_") {
            Some(rest) if rest.starts_with("CLONE_") => rest.to_string(),
            Some(rest) => format!("CLONE_{rest}"),
            None => bare.to_string(),
        };
        let found = tables
            .iter()
            .any(|t| t.entries.iter().any(|(n, tv)| *n == wanted && *tv == v));
        assert!(
            found,
            "{name} = {val} is not {wanted} = {val} in any flag table"
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} constants checked");
}
