//! The language of human-readable text (`REPORT_LANG`).

use std::fmt;
use std::str::FromStr;

/// Language of every human-readable string a function produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Japanese, the operating team's language and the default.
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Picks the string written for this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        self.choose(ja, en)
    }

    /// Picks what was written for this language (owned text, a format, …).
    pub fn choose<T>(self, ja: T, en: T) -> T {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    /// The BCP 47 tag (`ja`, `en`).
    pub fn tag(self) -> &'static str {
        self.pick("ja", "en")
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" => Ok(Lang::Ja),
            "en" => Ok(Lang::En),
            other => Err(format!("expected `ja` or `en`, got `{other}`")),
        }
    }
}
