//! The bounds every request is checked against before anything changes:
//! AWS's own limits (from the runbook crate) and what the account holds now.
//! Pure: the current values are read by the action's module.

use shared::Error;
use shared::runbook::{Acu, limits};

fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

fn half_steps(value: f64) -> bool {
    (value / limits::ACU_STEP).fract() == 0.0
}

/// The capacity asked for, the side not given kept at its current value:
/// half-ACU steps, `min` ≥ 0.5 (0 is auto-pause, not offered), 1 ≤ `max` ≤ 256,
/// `min` ≤ `max`.
pub fn plan_capacity(
    min: Option<f64>,
    max: Option<f64>,
    current: (f64, f64),
) -> Result<(f64, f64), Error> {
    if let Some(min) = min
        && !(half_steps(min) && (limits::ACU_MIN..=Acu::SERVICE_MAX).contains(&min))
    {
        return Err(invalid(format!(
            "`min` must be a multiple of {} from {} to {} ACU (0 would be auto-pause, which is not offered)",
            limits::ACU_STEP,
            limits::ACU_MIN,
            Acu::SERVICE_MAX
        )));
    }
    if let Some(max) = max
        && !(half_steps(max) && (limits::ACU_MAX_AT_LEAST..=Acu::SERVICE_MAX).contains(&max))
    {
        return Err(invalid(format!(
            "`max` must be a multiple of {} from {} to {} ACU",
            limits::ACU_STEP,
            limits::ACU_MAX_AT_LEAST,
            Acu::SERVICE_MAX
        )));
    }
    let (min, max) = (min.unwrap_or(current.0), max.unwrap_or(current.1));
    if min > max {
        return Err(invalid(format!(
            "`min` ({min} ACU) must not be above `max` ({max} ACU)"
        )));
    }
    Ok((min, max))
}

/// Reserved concurrency: at most what the account can give (its unreserved
/// pool plus what this function holds now, less the 100 AWS keeps
/// unreserved), at least the function's provisioned concurrency.
pub fn check_reserved(
    reserved: i64,
    unreserved: i64,
    current: Option<i64>,
    provisioned: i64,
) -> Result<(), Error> {
    let most = unreserved + current.unwrap_or(0) - limits::LAMBDA_UNRESERVED_MIN;
    if reserved > most {
        return Err(invalid(format!(
            "`reserved` must be at most {most}: the account has {unreserved} unreserved (plus {} held by this function), and AWS keeps {} unreserved",
            current.unwrap_or(0),
            limits::LAMBDA_UNRESERVED_MIN
        )));
    }
    if reserved < provisioned {
        return Err(invalid(format!(
            "`reserved` must be at least {provisioned}: the function's provisioned concurrency"
        )));
    }
    Ok(())
}

/// Provisioned concurrency of one qualifier: with reserved concurrency R,
/// this count plus the other qualifiers' fits in R; without, it fits in the
/// account's unreserved pool less the 100 AWS keeps.
pub fn check_provisioned(
    count: i64,
    reserved: Option<i64>,
    others: i64,
    unreserved: i64,
) -> Result<(), Error> {
    match reserved {
        Some(reserved) if count + others > reserved => Err(invalid(format!(
            "`count` must be at most {}: the function's reserved concurrency is {reserved} and its other qualifiers hold {others}",
            (reserved - others).max(0)
        ))),
        None if count > unreserved - limits::LAMBDA_UNRESERVED_MIN => Err(invalid(format!(
            "`count` must be at most {}: the account has {unreserved} unreserved and AWS keeps {} unreserved",
            (unreserved - limits::LAMBDA_UNRESERVED_MIN).max(0),
            limits::LAMBDA_UNRESERVED_MIN
        ))),
        _ => Ok(()),
    }
}

/// A default TTL the cache policy accepts: within its MinTTL–MaxTTL.
pub fn check_ttl(default_ttl: i64, min_ttl: i64, max_ttl: i64) -> Result<(), Error> {
    if !(min_ttl..=max_ttl).contains(&default_ttl) {
        return Err(invalid(format!(
            "`default_ttl` must be within the cache policy's MinTTL–MaxTTL, {min_ttl}–{max_ttl} seconds"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug, Error>) -> String {
        match r {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capacity_moves_in_half_acus_from_half_an_acu_to_256() {
        let current = (0.5, 2.0);
        for (min, max, expected) in [
            (Some(0.5), Some(4.0), Some((0.5, 4.0))),
            (Some(1.0), Some(256.0), Some((1.0, 256.0))),
            (None, Some(4.0), Some((0.5, 4.0))),
            (Some(1.5), None, Some((1.5, 2.0))),
            (Some(0.25), None, None),
            (Some(1.2), None, None),
            (Some(0.0), None, None),
            (None, Some(300.0), None),
            (None, Some(0.5), None),
            (None, Some(256.5), None),
            (Some(4.0), Some(2.0), None),
            (Some(4.0), None, None),
        ] {
            let got = plan_capacity(min, max, current).ok();
            assert_eq!(got, expected, "min {min:?} max {max:?}");
        }
        assert!(msg(plan_capacity(Some(0.25), None, current)).contains("`min`"));
        assert!(msg(plan_capacity(None, Some(300.0), current)).contains("`max`"));
        let m = msg(plan_capacity(Some(4.0), None, current));
        assert!(
            m.contains("`min` (4 ACU)") && m.contains("`max` (2 ACU)"),
            "{m}"
        );
    }

    #[test]
    fn reserved_concurrency_leaves_a_hundred_unreserved_and_covers_provisioned() {
        // 1,000 in the account, 10 held by this function: 990 unreserved.
        assert!(check_reserved(900, 990, Some(10), 0).is_ok());
        assert!(check_reserved(900, 990, Some(10), 0).is_ok());
        let m = msg(check_reserved(901, 990, Some(10), 0));
        assert!(m.contains("at most 900"), "{m}");
        assert!(check_reserved(900, 990, None, 0).is_err());
        assert!(check_reserved(890, 990, None, 0).is_ok());
        let m = msg(check_reserved(4, 990, Some(10), 5));
        assert!(m.contains("at least 5"), "{m}");
        assert!(check_reserved(0, 990, Some(10), 0).is_ok());
    }

    #[test]
    fn provisioned_concurrency_fits_the_reserved_or_the_unreserved_pool() {
        assert!(check_provisioned(7, Some(10), 3, 990).is_ok());
        let m = msg(check_provisioned(8, Some(10), 3, 990));
        assert!(m.contains("at most 7"), "{m}");
        assert!(check_provisioned(890, None, 0, 990).is_ok());
        assert!(check_provisioned(891, None, 0, 990).is_err());
        assert!(
            check_provisioned(0, Some(0), 0, 0).is_ok(),
            "0 removes, always allowed"
        );
    }

    #[test]
    fn the_default_ttl_stays_within_the_policys_range() {
        assert!(check_ttl(86_400, 1, 31_536_000).is_ok());
        assert!(check_ttl(0, 0, 86_400).is_ok());
        assert!(msg(check_ttl(0, 1, 86_400)).contains("1–86400"));
        assert!(check_ttl(86_401, 1, 86_400).is_err());
    }
}
