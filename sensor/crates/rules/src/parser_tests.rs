use super::*;

fn check(e: &Expr) -> &Check {
    match e {
        Expr::Check(c) => c,
        other => panic!("not a check: {other:?}"),
    }
}

#[test]
fn precedence_and_lists() {
    let e = parse("evt.type in (open,openat) and not proc.name=cat or m").unwrap();
    let Expr::Or(v) = &e else { panic!() };
    assert_eq!(v.len(), 2);
    let Expr::And(a) = &v[0] else { panic!() };
    assert_eq!(
        check(&a[0]).rhs,
        Rhs::List(vec!["open".into(), "openat".into()])
    );
    assert!(matches!(&a[1], Expr::Not(_)));
    assert!(matches!(&v[1], Expr::Macro { name, .. } if name == "m"));
}

#[test]
fn paren_after_keywords() {
    assert!(parse("a or(b)").is_ok());
    assert!(parse("not(a)and(b)").is_ok());
    assert!(parse("evt.type in(open)").is_ok());
}

#[test]
fn fields_with_args_and_quotes() {
    let e = parse(r#"proc.aname[2]="sh -c" and proc.env[HOME] startswith '/r\'x'"#).unwrap();
    let Expr::And(a) = &e else { panic!() };
    let c = check(&a[0]);
    assert_eq!(c.lhs.text(), "proc.aname[2]");
    assert_eq!(c.rhs, Rhs::Value("sh -c".into()));
    assert_eq!(check(&a[1]).rhs, Rhs::Value("/r'x".into()));
}

#[test]
fn backslash_space_quirk_and_bare_backslash() {
    let c = parse(r#"proc.args contains "\ ""#).unwrap();
    assert_eq!(check(&c).rhs, Rhs::Value("\\".into()));
    let c = parse(r"proc.args endswith \").unwrap();
    assert_eq!(check(&c).rhs, Rhs::Value("\\".into()));
    assert!(parse(r#"proc.args contains "\q""#).is_err());
}

#[test]
fn trailing_garbage_names_last_token() {
    let e = parse("evt.type=execve foo").unwrap_err();
    assert_eq!(
        e.message,
        "unexpected token after 'execve', expecting 'or', 'and'"
    );
}

#[test]
fn transformers_val_modifiers_exists() {
    let c = parse("tolower(proc.name) = val(proc.pname)").unwrap();
    let c = check(&c);
    assert!(matches!(c.lhs, Operand::Transform { .. }));
    assert!(matches!(c.rhs, Rhs::Operand(_)));
    let c = parse("proc.name startswith anyof (a, b)").unwrap();
    assert_eq!(check(&c).modifier, Some(Modifier::AnyOf));
    assert!(parse("fd.name exists and evt.num=0").is_ok());
}

#[test]
fn depth_limit() {
    let deep = "(".repeat(2000) + "a" + &")".repeat(2000);
    assert!(parse(&deep).is_err());
}

#[test]
fn display_round_trips() {
    for c in [
        r#"evt.type in (open, openat) and not proc.name="sh -c" or fd.name startswith /etc"#,
        r#"proc.args contains "a\"b" and fd.sport >= 30000 and proc.aname[2] exists"#,
    ] {
        let e = parse(c).unwrap();
        let again = parse(&e.to_string()).unwrap();
        assert_eq!(e.to_string(), again.to_string());
    }
}

/// Fuzz find: a quoted value holding a backspace (a blank to the parser)
/// was printed bare and split on reparse.
#[test]
fn regression_display_quotes_parser_blanks() {
    let e = parse("fd.sip.name=\"kube>\x08\x03\"").unwrap();
    let again = parse(&e.to_string()).unwrap();
    assert_eq!(e, again);
}
