use super::{Email, Nip, Username};

/// What someone typed into the "username, NIP or e-mail" box of the login form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginId {
    Username(Username),
    Nip(Nip),
    Email(Email),
}

impl LoginId {
    /// Classifies the input. Returns `None` when it cannot be any of the
    /// three; callers must answer that exactly like a wrong password so the
    /// response does not reveal which accounts exist.
    pub fn parse(input: &str) -> Option<Self> {
        let trimmed = input.trim();
        if trimmed.contains('@') {
            return Email::parse(trimmed).ok().map(Self::Email);
        }
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() == 18 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Nip::parse(&compact).ok().map(Self::Nip);
        }
        Username::parse(trimmed).ok().map(Self::Username)
    }

    /// A normalised key for throttling failed attempts. The same for every
    /// spelling of the same identifier, whether or not an account exists.
    pub fn throttle_key(&self) -> String {
        match self {
            Self::Username(u) => format!("login:u:{u}"),
            Self::Nip(n) => format!("login:n:{n}"),
            Self::Email(e) => format!("login:e:{}", e.as_str().to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_kind_of_identifier() {
        assert!(matches!(
            LoginId::parse("admin"),
            Some(LoginId::Username(_))
        ));
        assert!(matches!(
            LoginId::parse("19860926 201505 1 001"),
            Some(LoginId::Nip(_))
        ));
        assert!(matches!(
            LoginId::parse("siti@jatimprov.go.id"),
            Some(LoginId::Email(_))
        ));
        assert_eq!(LoginId::parse("198609262015053001"), None);
        assert_eq!(LoginId::parse("a b"), None);
    }

    #[test]
    fn throttle_key_ignores_spelling() {
        let a = LoginId::parse("Siti@Jatimprov.go.id")
            .unwrap()
            .throttle_key();
        let b = LoginId::parse("siti@jatimprov.GO.id")
            .unwrap()
            .throttle_key();
        assert_eq!(a, b);
        let n1 = LoginId::parse("19860926 201505 1 001")
            .unwrap()
            .throttle_key();
        let n2 = LoginId::parse("198609262015051001").unwrap().throttle_key();
        assert_eq!(n1, n2);
    }
}
