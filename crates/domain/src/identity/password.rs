/// Rules a new password must meet. Lengths are configuration; the defaults
/// follow NIST SP 800-63B (length over composition rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    /// Caps the work an attacker can force on the hash function.
    pub max_bytes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 10,
            max_bytes: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password is shorter than {min} characters")]
    TooShort { min: usize },
    #[error("the password is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("the password must not contain the username")]
    ContainsUsername,
    #[error("the password is on the list of common passwords")]
    Common,
}

impl PasswordPolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password_too_short",
            Self::TooLong { .. } => "password_too_long",
            Self::ContainsUsername => "password_contains_username",
            Self::Common => "password_common",
        }
    }
}

/// A short list of passwords seen in every breach corpus, plus local ones.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "qwertyuiop",
    "password123",
    "passw0rd123",
    "iloveyou123",
    "admin12345",
    "administrator",
    "bismillah123",
    "indonesia123",
    "jawatimur123",
    "surabaya123",
    "katasandi123",
    "rahasia123",
    "1111111111",
    "0000000000",
    "qwerty12345",
];

impl PasswordPolicy {
    pub fn check(&self, password: &str, username: Option<&str>) -> Result<(), PasswordPolicyError> {
        if password.len() > self.max_bytes {
            return Err(PasswordPolicyError::TooLong {
                max: self.max_bytes,
            });
        }
        if password.chars().count() < self.min_chars {
            return Err(PasswordPolicyError::TooShort {
                min: self.min_chars,
            });
        }
        let lower = password.to_lowercase();
        if let Some(name) = username
            && name.len() >= 3
            && lower.contains(&name.to_lowercase())
        {
            return Err(PasswordPolicyError::ContainsUsername);
        }
        if COMMON.contains(&lower.as_str()) {
            return Err(PasswordPolicyError::Common);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_username_and_common_list() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("pendek", None),
            Err(PasswordPolicyError::TooShort { min: 10 })
        );
        assert_eq!(
            p.check(&"x".repeat(257), None),
            Err(PasswordPolicyError::TooLong { max: 256 })
        );
        assert_eq!(
            p.check("siti-rahasia-2026", Some("siti")),
            Err(PasswordPolicyError::ContainsUsername)
        );
        assert_eq!(
            p.check("Bismillah123", None),
            Err(PasswordPolicyError::Common)
        );
        assert_eq!(p.check("kopi tubruk di alun-alun", Some("siti")), Ok(()));
    }
}
