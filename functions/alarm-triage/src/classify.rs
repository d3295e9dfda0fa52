//! The error-rate playbook's classifier: an error line → the runbook's class.
//!
//! An ordered, data-driven rule table: the first rule whose pattern matches
//! decides. The defaults recognise what real stacks print — Node.js
//! (node-postgres, Prisma, fetch/undici, axios, AWS SDK, Zod/Joi), Python
//! (psycopg, SQLAlchemy, requests, httpx, pydantic), Rust (sqlx,
//! tokio-postgres, reqwest) and Lambda's own `Task timed out` and
//! `Runtime.*` lines. `TRIAGE_ERROR_RULES` (JSON `[{"class", "pattern"}]`)
//! adds rules tried before the defaults. Rules are tried in order with
//! `is_match` and the first match stops the scan.
//!
//! `regex-lite` has no literal search of its own: each pattern walks the
//! whole line. So every default rule carries a gate, the lowercase words one
//! of which any match must contain (a test derives each pattern's prefix or
//! suffix literals and proves it); the line is lowercased once and a rule
//! whose gate it lacks is skipped without running its pattern.
//!
//! Patterns match case-insensitively with `regex-lite`'s ASCII classes
//! (`\w`, `\d`, `\s`, `\b` are ASCII; literal text in any script still
//! matches; no `\p{…}` Unicode classes): error messages are ASCII, and the
//! small engine keeps the bootstrap within its size.
//! The default table is compiled on first use — only a triage that reads
//! error lines needs it, not every cold start.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex_lite::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// The runbook's error classes (report field `classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The database could not be reached or refused the connection.
    DatabaseConnection,
    /// A downstream HTTP/AWS API failed, timed out or throttled.
    ExternalApi,
    /// The request or data was invalid (4xx, schema validation, constraints).
    Validation,
    /// The function itself ran out of time (`Task timed out`).
    Timeout,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Every class, in report order.
    pub const ALL: [ErrorClass; 5] = [
        ErrorClass::DatabaseConnection,
        ErrorClass::ExternalApi,
        ErrorClass::Validation,
        ErrorClass::Timeout,
        ErrorClass::Other,
    ];

    /// The finding id of this class's count, kebab-case like every
    /// `check` id (`errors-database-connection`).
    pub fn check_id(self) -> String {
        format!("errors-{}", self.as_str().replace('_', "-"))
    }

    /// The stable id (snake_case, the keys of the report's `classes`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::DatabaseConnection => "database_connection",
            ErrorClass::ExternalApi => "external_api",
            ErrorClass::Validation => "validation",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Other => "other",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown error class `{s}` (expected database_connection, external_api, validation, timeout or other)"))
    }
}

/// One rule: lines matching `pattern` (a case-insensitive regular expression) are `class`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    /// The class a match means.
    pub class: ErrorClass,
    /// Regular expression (Rust `regex` syntax), matched case-insensitively anywhere in the line.
    pub pattern: String,
}

/// A built-in rule: its class, its pattern, and its gate — lowercase
/// literals of which a line must contain at least one before the pattern is
/// tried. Every match of the pattern contains one of them (proved for each
/// rule by `every_gate_is_implied_by_its_pattern`), so a gate only skips
/// patterns that cannot match: the result is the same, and a line runs the
/// few patterns whose words it has instead of all of them.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRule {
    /// The class a match means.
    pub class: ErrorClass,
    /// Lowercase literals; a line without any of them cannot match.
    pub gate: &'static [&'static str],
    /// Regular expression, matched case-insensitively anywhere in the line.
    pub pattern: &'static str,
}

/// The default rules, in order. Order matters where messages overlap: the
/// function's own timeout first; a refused connection to a database port
/// before a refused connection in general; validation before the generic
/// HTTP failures.
pub const DEFAULT_RULES: &[DefaultRule] = &[
    // Lambda itself.
    DefaultRule {
        class: ErrorClass::Timeout,
        gate: &["task timed out after"],
        pattern: r"Task timed out after [0-9.]+ seconds",
    },
    DefaultRule {
        class: ErrorClass::Timeout,
        gate: &["status: timeout", "\"status\":"],
        pattern: r#"Status: timeout\b|"status":\s*"timeout""#,
    },
    // PostgreSQL / drivers / ORMs: the connection, not the query.
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["p10"],
        pattern: r"\bP10(00|01|02|08|10|11|17)\b",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["p2024", "timed out fetching a new connection"],
        pattern: r"\bP2024\b|Timed out fetching a new connection from the connection pool",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "can't reach database server",
            "server has closed the connection",
        ],
        pattern: r"Can't reach database server|Server has closed the connection",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "econnrefused",
            "etimedout",
            "econnreset",
            "enotfound",
            "eai_again",
        ],
        pattern: r"(ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENOTFOUND|EAI_AGAIN)[^\n]*(:5432\b|:3306\b|\.rds\.amazonaws\.com)",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "password authentication failed for user",
            "no pg_hba.conf entry",
            "is not permitted to log in",
        ],
        pattern: r"password authentication failed for user|no pg_hba\.conf entry|role .* is not permitted to log in",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "too many clients already",
            "remaining connection slots are reserved",
            "too many connections for role",
        ],
        pattern: r"too many clients already|remaining connection slots are reserved|too many connections for role",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "connection terminated",
            "timeout exceeded when trying to connect",
            "client has encountered a connection error",
        ],
        pattern: r"Connection terminated unexpectedly|Connection terminated due to connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["terminating connection due to", "the database system is"],
        pattern: r"terminating connection due to (administrator command|idle-session timeout)|the database system is (starting up|shutting down|in recovery mode)",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "could not connect to server",
            "connection to server at",
            "server closed the connection unexpectedly",
        ],
        pattern: r"could not connect to server|connection to server at .* failed|server closed the connection unexpectedly",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["psycopg", "sqlalchemy.exc.", "queuepool limit of size"],
        pattern: r"psycopg2?\.(errors\.)?OperationalError|sqlalchemy\.exc\.(OperationalError|DisconnectionError|InterfaceError)|QueuePool limit of size \d+ overflow \d+ reached",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &[
            "pool timed out while waiting",
            "pooltimedout",
            "error communicating with database",
            "error connecting to",
        ],
        pattern: r"pool timed out while waiting for an open connection|PoolTimedOut|error communicating with database|error connecting to server|error connecting to database",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["sequelize", "knextimeouterror", "knex: timeout acquiring"],
        pattern: r"Sequelize(Connection|ConnectionRefused|ConnectionTimedOut|HostNotFound|HostNotReachable|AccessDenied)Error|KnexTimeoutError|Knex: Timeout acquiring a connection",
    },
    DefaultRule {
        class: ErrorClass::DatabaseConnection,
        gate: &["ssl syscall error", "ssl connection has been closed"],
        pattern: r"SSL SYSCALL error|SSL connection has been closed unexpectedly",
    },
    // Bad input and data the database refused.
    DefaultRule {
        class: ErrorClass::Validation,
        gate: &["zoderror", "validationerror", "validation error", "p20"],
        pattern: r"\bZodError\b|ValidationError\b|validation errors? for \w+|\bP20(00|02|03|05|06|07|11|12|13)\b",
    },
    DefaultRule {
        class: ErrorClass::Validation,
        gate: &[
            "unique constraint failed",
            "foreign key constraint failed",
            "null constraint violation",
            "notnull violation",
        ],
        pattern: r"Unique constraint failed on the|Foreign key constraint failed on the field|Null constraint violation on the|notNull Violation",
    },
    DefaultRule {
        class: ErrorClass::Validation,
        gate: &["\"code\":"],
        pattern: r#""code":\s*"(invalid_type|invalid_string|too_small|too_big|invalid_enum_value|unrecognized_keys)""#,
    },
    DefaultRule {
        class: ErrorClass::Validation,
        gate: &[
            "violates ",
            "invalid input syntax for type",
            "value too long for type",
        ],
        pattern: r"violates (not-null|check|unique|foreign key|exclusion) constraint|invalid input syntax for type|value too long for type",
    },
    DefaultRule {
        class: ErrorClass::Validation,
        gate: &[
            "400 bad request",
            "status",
            "badrequest",
            "unprocessableentity",
            "unexpected token",
            "unexpected end of json",
            "is not valid json",
            "request aborted",
        ],
        pattern: r#"\b400 Bad Request\b|\bstatus(Code)?"?\s*[=:]\s*4(00|22)\b|\bBadRequest(Exception|Error)\b|\bUnprocessableEntity\b|Unexpected token .* in JSON|Unexpected end of JSON input|is not valid JSON|request aborted"#,
    },
    // Downstream services.
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "axioserror",
            "request failed with status code",
            "timeout of ",
        ],
        pattern: r"\bAxiosError\b|Request failed with status code \d{3}|timeout of \d+ms exceeded",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "fetcherror",
            "fetch failed",
            "und_err_",
            "connecttimeouterror",
            "socket hang up",
        ],
        pattern: r"\bFetchError\b|\bfetch failed\b|\bUND_ERR_\w+|ConnectTimeoutError|\bsocket hang up\b",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "econnrefused",
            "econnreset",
            "etimedout",
            "enotfound",
            "eai_again",
            "epipe",
        ],
        pattern: r"\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE)\b",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "throttlingexception",
            "toomanyrequestsexception",
            "provisionedthroughputexceeded",
            "requestlimitexceeded",
            "slowdown: please reduce",
            "rate exceeded",
            "serviceunavailable",
        ],
        pattern: r"ThrottlingException|TooManyRequestsException|ProvisionedThroughputExceededException|RequestLimitExceeded|SlowDown: Please reduce your request rate|Rate exceeded|ServiceUnavailable(Exception)?\b",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "requests.exceptions.",
            "httpsconnectionpool",
            "max retries exceeded with url",
            "urllib3.exceptions.",
        ],
        pattern: r"requests\.exceptions\.\w+|HTTPSConnectionPool|Max retries exceeded with url|urllib3\.exceptions\.\w+",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &["httpx.", "aiohttp.client_exceptions."],
        pattern: r"httpx\.(ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|RemoteProtocolError|HTTPStatusError)|aiohttp\.client_exceptions\.\w+",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "error sending request for url",
            "http status ",
            "hyper",
            "reqwest::error",
        ],
        pattern: r"error sending request for url|HTTP status (server|client) error \((5\d\d|429)|\bhyper(_util)?::Error\b|reqwest::Error",
    },
    DefaultRule {
        class: ErrorClass::ExternalApi,
        gate: &[
            "502 bad gateway",
            "503 service unavailable",
            "504 gateway time",
            "429 too many requests",
            "service unavailable for url",
        ],
        pattern: r"\b(502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out|429 Too Many Requests)\b|Service Unavailable for url",
    },
];

/// Compiles `pattern` the way every rule is matched.
fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("pattern `{pattern}`: {e}"))
}

/// The default rules, compiled on first use (they are tested to compile).
static DEFAULTS: LazyLock<Vec<(&'static DefaultRule, Regex)>> = LazyLock::new(|| {
    DEFAULT_RULES
        .iter()
        .filter_map(|rule| compile(rule.pattern).ok().map(|regex| (rule, regex)))
        .collect()
});

/// The rules: the configured ones (compiled at start-up, so a bad pattern
/// fails the configuration), then the defaults.
#[derive(Debug, Clone)]
pub struct Classifier {
    extra: Vec<(Regex, ErrorClass)>,
}

impl Classifier {
    /// The default rules.
    pub fn defaults() -> Self {
        Classifier { extra: Vec::new() }
    }

    /// `extra` rules first, then the defaults. A pattern that does not
    /// compile is an error naming it.
    pub fn with_extra(extra: &[Rule]) -> Result<Self, String> {
        let extra = extra
            .iter()
            .map(|r| compile(&r.pattern).map(|regex| (regex, r.class)))
            .collect::<Result<_, _>>()?;
        Ok(Classifier { extra })
    }

    /// Reads `TRIAGE_ERROR_RULES`-style JSON (`[{"class", "pattern"}]`) over the defaults.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let extra: Vec<Rule> = serde_json::from_str(json).map_err(|e| {
            format!("expected JSON like [{{\"class\": \"external_api\", \"pattern\": \"PaymentGatewayError\"}}]: {e}")
        })?;
        Self::with_extra(&extra)
    }

    /// Compiles the default table now (e.g. on a blocking thread while the
    /// log lines are still being read).
    pub fn prepare() {
        LazyLock::force(&DEFAULTS);
    }

    /// The class of `line`: the first matching rule's, else `other`. The
    /// configured rules are tried as they are; a default rule only when the
    /// line has a word of its gate.
    pub fn classify(&self, line: &str) -> ErrorClass {
        if let Some((_, class)) = self.extra.iter().find(|(regex, _)| regex.is_match(line)) {
            return *class;
        }
        let lower = line.to_ascii_lowercase();
        DEFAULTS
            .iter()
            .find(|(rule, regex)| {
                rule.gate.iter().any(|word| lower.contains(word)) && regex.is_match(line)
            })
            .map_or(ErrorClass::Other, |(rule, _)| rule.class)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// `class <TAB> source <TAB> line`: real messages, each from the named
    /// library's documentation or source.
    const CORPUS: &str = include_str!("../corpus/error-lines.tsv");

    fn corpus() -> Vec<(ErrorClass, &'static str, &'static str)> {
        CORPUS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut parts = l.splitn(3, '\t');
                let class = parts.next().unwrap().parse().unwrap();
                let source = parts.next().unwrap();
                let line = parts.next().unwrap_or_else(|| panic!("no line in {l:?}"));
                (class, source, line)
            })
            .collect()
    }

    #[test]
    fn every_default_rule_compiles() {
        for rule in DEFAULT_RULES {
            compile(rule.pattern).unwrap();
        }
        assert_eq!(DEFAULTS.len(), DEFAULT_RULES.len());
    }

    #[test]
    fn classes_are_ascii_and_literals_any_script() {
        let classifier = Classifier::from_json(
            r#"[{"class": "database_connection", "pattern": "DB\\s*接続エラー"}]"#,
        )
        .unwrap();
        assert_eq!(
            classifier.classify("ERROR DB 接続エラー: タイムアウト"),
            ErrorClass::DatabaseConnection
        );
        assert_eq!(
            classifier.classify("ERROR 接続できません"),
            ErrorClass::Other
        );
    }

    #[test]
    fn the_defaults_classify_every_corpus_line_as_expected() {
        let classifier = Classifier::defaults();
        let corpus = corpus();
        assert!(corpus.len() >= 100, "the corpus has {} lines", corpus.len());
        let wrong: Vec<String> = corpus
            .iter()
            .filter(|(class, _, line)| classifier.classify(line) != *class)
            .map(|(class, source, line)| {
                format!(
                    "{source}: expected {class}, got {}: {line}",
                    classifier.classify(line)
                )
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{} misclassified:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        // Every class and every stack is represented.
        let per_class: BTreeMap<ErrorClass, usize> =
            corpus.iter().fold(BTreeMap::new(), |mut m, (c, _, _)| {
                *m.entry(*c).or_default() += 1;
                m
            });
        assert_eq!(per_class.len(), ErrorClass::ALL.len(), "{per_class:?}");
    }

    /// The class `line` gets with every default pattern tried, gates ignored.
    fn classify_ungated(classifier: &Classifier, line: &str) -> ErrorClass {
        classifier
            .extra
            .iter()
            .map(|(regex, class)| (regex, *class))
            .chain(DEFAULTS.iter().map(|(rule, regex)| (regex, rule.class)))
            .find(|(regex, _)| regex.is_match(line))
            .map_or(ErrorClass::Other, |(_, class)| class)
    }

    /// The gate is sound: every match of the pattern contains one of its
    /// words. regex-syntax's extractor gives the literals every match begins
    /// (or ends) with — of the pattern read case-sensitively with ASCII
    /// classes; a case-insensitive match is, letter by letter, a case variant
    /// of a case-sensitive one, so lowercased it begins (ends) with the
    /// lowercased literal too. A gate word inside every such literal is
    /// therefore in every matching line, lowercased.
    #[test]
    fn every_gate_is_implied_by_its_pattern() {
        use regex_syntax::ParserBuilder;
        use regex_syntax::hir::literal::{ExtractKind, Extractor};

        for rule in DEFAULT_RULES {
            assert!(!rule.gate.is_empty(), "{} has no gate", rule.pattern);
            for word in rule.gate {
                assert!(
                    !word.is_empty() && *word == word.to_ascii_lowercase(),
                    "gate word {word:?} of {} must be non-empty lowercase",
                    rule.pattern
                );
            }
            let hir = ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(rule.pattern)
                .unwrap();
            let covered = [ExtractKind::Prefix, ExtractKind::Suffix]
                .into_iter()
                .any(|kind| {
                    let seq = Extractor::new().kind(kind).extract(&hir);
                    seq.literals().is_some_and(|literals| {
                        literals.iter().all(|literal| {
                            let literal =
                                String::from_utf8_lossy(literal.as_bytes()).to_ascii_lowercase();
                            rule.gate.iter().any(|word| literal.contains(word))
                        })
                    })
                });
            assert!(
                covered,
                "the gate {:?} is not implied by {}: some match begins and ends without any of its words",
                rule.gate, rule.pattern
            );
        }
    }

    #[test]
    fn gates_change_no_class() {
        let classifier = Classifier::defaults();
        for (_, _, line) in corpus() {
            for variant in [
                line.to_owned(),
                line.to_ascii_uppercase(),
                line.to_ascii_lowercase(),
                format!("prefix {line} suffix"),
            ] {
                assert_eq!(
                    classifier.classify(&variant),
                    classify_ungated(&classifier, &variant),
                    "{variant}"
                );
            }
        }
    }

    #[test]
    fn extra_rules_come_first_and_bad_ones_name_their_pattern() {
        let classifier = Classifier::from_json(r#"[{"class": "external_api", "pattern": "PaymentGateway\\w*Error"}, {"class": "other", "pattern": "ECONNREFUSED 10\\.9\\."}]"#).unwrap();
        assert_eq!(
            classifier.classify("PaymentGatewayTimeoutError: upstream"),
            ErrorClass::ExternalApi
        );
        assert_eq!(
            classifier.classify("Error: connect ECONNREFUSED 10.9.0.1:443"),
            ErrorClass::Other
        );
        assert_eq!(
            classifier.classify("Error: connect ECONNREFUSED 10.0.0.1:443"),
            ErrorClass::ExternalApi
        );
        let err =
            Classifier::from_json(r#"[{"class": "timeout", "pattern": "(unclosed"}]"#).unwrap_err();
        assert!(err.contains("(unclosed"), "{err}");
        assert!(Classifier::from_json(r#"[{"class": "slow", "pattern": "x"}]"#).is_err());
        assert!(Classifier::from_json("{}").is_err());
    }

    #[test]
    fn finding_ids_are_kebab_case_and_class_keys_snake_case() {
        let ids: Vec<String> = ErrorClass::ALL.iter().map(|c| c.check_id()).collect();
        assert_eq!(
            ids,
            [
                "errors-database-connection",
                "errors-external-api",
                "errors-validation",
                "errors-timeout",
                "errors-other"
            ]
        );
        assert_eq!(ErrorClass::ExternalApi.as_str(), "external_api");
    }

    #[test]
    fn matching_ignores_case_and_unknown_lines_are_other() {
        let classifier = Classifier::defaults();
        assert_eq!(
            classifier.classify("task timed out after 3.00 seconds"),
            ErrorClass::Timeout
        );
        assert_eq!(
            classifier.classify("ERROR something odd happened"),
            ErrorClass::Other
        );
        assert_eq!(classifier.classify(""), ErrorClass::Other);
    }
}
