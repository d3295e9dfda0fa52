//! The real bootstrap, started as Lambda starts it (our Runtime API): a
//! payload no JSON reader takes is answered `InvalidInput`, not with the
//! runtime's own error type.

#[test]
fn the_bootstrap_answers_an_unreadable_payload_with_invalid_input() {
    let bootstrap = std::path::Path::new(env!("CARGO_BIN_EXE_restore-drill"));
    if let Err(err) = bed::runtime_api::check_refuses_unreadable_payload(bootstrap) {
        panic!("{err}");
    }
}
