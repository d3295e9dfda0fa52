//! alarm-triage — the runbook's アラート対応, automated (in progress, issue #5).
//!
//! This crate so far holds the pieces the handler is built from: the alarm
//! event model (three delivery shapes) and the error-line classifier of the
//! error-rate playbook. The playbooks, the handler and the template wiring
//! follow.

pub mod classify;
pub mod errors;
pub mod event;
