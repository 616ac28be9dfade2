use std::fmt;

use serde::{Deserialize, Serialize};

/// An e-mail address, checked for shape only (delivery proves the rest).
/// The domain part is lowercased; the local part is kept as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let input = input.trim();
        let (local, domain) = input.rsplit_once('@').ok_or(EmailError)?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && input.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && !local.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '@' | '<' | '>' | '"' | ',' | ';')
            });
        if !valid {
            return Err(EmailError);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_the_domain() {
        assert_eq!(
            Email::parse(" Siti.Aminah@JATIMPROV.go.id ")
                .unwrap()
                .as_str(),
            "Siti.Aminah@jatimprov.go.id"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "siti",
            "siti@",
            "@jatimprov.go.id",
            "siti@localhost",
            "siti@.go.id",
            "siti@go..id",
            "si ti@jatimprov.go.id",
            "siti@jatim prov.go.id",
            "<siti>@a.id",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad:?}");
        }
    }
}
