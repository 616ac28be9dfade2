use std::fmt;

use serde::{Deserialize, Serialize};

/// A sign-in name: 3–32 characters of lowercase letters, digits, `.`, `-`
/// and `_`, starting with a letter or digit. Stored lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username has 3 to 32 characters")]
    Length,
    #[error(
        "a username uses only letters, digits, '.', '-' and '_', and starts with a letter or digit"
    )]
    Characters,
    #[error("a username cannot be 18 digits: that is a NIP")]
    LooksLikeNip,
}

impl UsernameError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length => "username_length",
            Self::Characters => "username_characters",
            Self::LooksLikeNip => "username_looks_like_nip",
        }
    }
}

impl Username {
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let name = input.trim().to_ascii_lowercase();
        if !(3..=32).contains(&name.chars().count()) {
            return Err(UsernameError::Length);
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !first_ok || !rest_ok {
            return Err(UsernameError::Characters);
        }
        // Login accepts a username, a NIP or an e-mail; keep the three apart.
        if name.len() == 18 && name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsernameError::LooksLikeNip);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = UsernameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Username::parse("  Admin.Sidoarjo ").unwrap().as_str(),
            "admin.sidoarjo"
        );
    }

    #[test]
    fn rejects_bad_usernames_with_the_reason() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
        assert_eq!(Username::parse(".admin"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("ad min"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("adm@in"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("bäcker"), Err(UsernameError::Characters));
        assert_eq!(
            Username::parse("198609262015051001"),
            Err(UsernameError::LooksLikeNip)
        );
    }
}
