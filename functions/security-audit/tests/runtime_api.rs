//! The real bootstrap, started as Lambda starts it (our Runtime API): a
//! payload no JSON reader takes is answered `InvalidInput`, not with the
//! runtime's own error type.

#[test]
fn the_bootstrap_answers_an_unreadable_payload_with_invalid_input() {
    let bootstrap = std::path::Path::new(env!("CARGO_BIN_EXE_security-audit"));
    if let Err(err) = bed::runtime_api::check_refuses_unreadable_payload(bootstrap) {
        panic!("{err}");
    }
}

#[test]
fn the_bootstrap_refuses_bad_configuration_before_its_first_event() {
    let bootstrap = std::path::Path::new(env!("CARGO_BIN_EXE_security-audit"));
    for (variable, value) in [
        ("AUDIT_ALLOWED_CIDRS", "10.0.0.0/33"),
        ("AUDIT_NIGHT_HOURS", "25-3"),
        ("AUDIT_DELETE_BURST", "0"),
        ("AUDIT_GLOBAL_REGION", "global"),
        ("AUDIT_TRUSTED_PRINCIPALS", "has space"),
        (
            "AUDIT_SUPPRESS",
            r#"[{"check": "cloudtrail-source-ip", "principal": "ci-bot", "until": "2026-12-31"}]"#,
        ),
        ("AUDIT_SUPPRESS", "not json"),
    ] {
        if let Err(err) = bed::runtime_api::check_refuses_configuration(bootstrap, variable, value)
        {
            panic!("{variable}={value}: {err}");
        }
    }
}
