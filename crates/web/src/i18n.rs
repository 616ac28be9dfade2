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

    /// Keys in `locales/*.yml`, each with the languages it has.
    fn locale_keys() -> std::collections::BTreeMap<String, Vec<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut keys = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let mut current: Option<String> = None;
            for line in text.lines() {
                if line.starts_with('#') || line.starts_with("_version") || line.trim().is_empty() {
                    continue;
                }
                if let Some(key) = line.strip_suffix(':').filter(|_| !line.starts_with(' ')) {
                    assert!(
                        keys.insert(key.to_owned(), Vec::new()).is_none(),
                        "{key} is defined twice"
                    );
                    current = Some(key.to_owned());
                } else if let Some((lang, _)) = line.trim_start().split_once(": ") {
                    keys.get_mut(current.as_ref().unwrap())
                        .unwrap()
                        .push(lang.to_owned());
                }
            }
        }
        keys
    }

    /// String literals in templates and code that look like translation keys.
    fn used_keys(
        prefixes: &std::collections::BTreeSet<String>,
    ) -> std::collections::BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        walk(&root.join("src"), &mut texts);
        walk(&root.join("templates"), &mut texts);
        let mut used = std::collections::BTreeSet::new();
        for text in texts {
            for literal in text.split('"').skip(1).step_by(2) {
                let is_key = literal
                    .split_once('.')
                    .is_some_and(|(p, rest)| prefixes.contains(p) && !rest.is_empty())
                    && literal.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
                    })
                    && ![".css", ".js", ".html", ".svg"]
                        .iter()
                        .any(|ext| literal.ends_with(ext));
                if is_key {
                    used.insert(literal.to_owned());
                }
            }
        }
        used
    }

    #[test]
    fn every_key_has_both_languages_and_every_used_key_exists() {
        let keys = locale_keys();
        for (key, langs) in &keys {
            let mut langs = langs.clone();
            langs.sort();
            assert_eq!(langs, ["en", "id"], "{key} must have exactly id and en");
        }
        let prefixes: std::collections::BTreeSet<String> = keys
            .keys()
            .map(|k| k.split('.').next().unwrap().to_owned())
            .collect();
        let used = used_keys(&prefixes);
        let missing: Vec<&String> = used
            .iter()
            .filter(|k| !keys.contains_key(*k) && *k != "no.such.key")
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
        assert!(used.len() > 150, "the scan found the keys ({})", used.len());
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
