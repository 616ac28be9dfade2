//! Languages of the interface. Bahasa Indonesia is the default; English on
//! request. Every string lives in `locales/*.yml`; none in code.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "id" | "id-id" | "in" => Some(Self::Id),
            "en" | "en-us" | "en-gb" | "en-au" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Self {
        match self {
            Self::Id => Self::En,
            Self::En => Self::Id,
        }
    }

    /// Picks the first supported language from an `Accept-Language` header,
    /// honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut candidates: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next().unwrap_or(tag);
                Lang::from_code(primary).map(|l| (q, l))
            })
            .filter(|(q, _)| *q > 0.0)
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        candidates.first().map(|(_, l)| *l)
    }

    /// The translation of `key`.
    pub fn t(self, key: &str) -> Cow<'static, str> {
        match crate::_rust_i18n_try_translate(self.code(), key) {
            Some(s) => s,
            None => {
                tracing::error!(
                    i18n.key = key,
                    i18n.lang = self.code(),
                    "missing translation"
                );
                Cow::Owned(format!("[{key}]"))
            }
        }
    }

    /// The translation of `key` with `%{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).into_owned();
        for (name, value) in args {
            s = s.replace(&format!("%{{{name}}}"), value);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_quality() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,id;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("id-ID,id;q=0.9,en;q=0.8"),
            Some(Lang::Id)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn translations_exist_and_fill_arguments() {
        assert_eq!(Lang::Id.t("app.name"), "Rumah Inovasi");
        assert_ne!(
            Lang::Id.t("auth.login.title"),
            Lang::En.t("auth.login.title")
        );
        assert!(
            Lang::En
                .tf("error.nip_length", &[("found", "17")])
                .contains("17")
        );
        assert!(Lang::En.t("no.such.key").starts_with('['));
    }
}
