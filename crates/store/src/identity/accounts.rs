use rumah_domain::authz::{Grant, Permission, Principal, Role, Scope};
use rumah_domain::identity::{
    AccountId, AccountKind, AccountStatus, Email, LoginId, Nip, Username,
};
use rumah_domain::orgs::{OrgCode, OrgId};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::{Exec, SqlBuilder, StoreError, q};

/// What is needed to create an account; every identifier already parsed.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub kind: AccountKind,
    pub username: &'a Username,
    pub display_name: &'a str,
    pub email: Option<&'a Email>,
    pub email_verified: bool,
    pub nip: Option<&'a Nip>,
    pub org_id: Option<OrgId>,
    pub position: Option<&'a str>,
    /// Argon2id PHC string, or `None` for accounts without a password.
    pub password_hash: Option<&'a str>,
    pub status: AccountStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("username already in use")]
    UsernameTaken,
    #[error("e-mail already in use")]
    EmailTaken,
    #[error("NIP already in use")]
    NipTaken,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CreateAccountError {
    fn from(e: StoreError) -> Self {
        if e.is_unique_on("username") {
            Self::UsernameTaken
        } else if e.is_unique_on("nip") {
            Self::NipTaken
        } else if e.is_unique_on("email") {
            Self::EmailTaken
        } else {
            Self::Store(e)
        }
    }
}

pub async fn create(
    ex: &mut impl Exec,
    new: &NewAccount<'_>,
) -> Result<AccountId, CreateAccountError> {
    let now = Timestamp::now();
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO accounts (kind, username, display_name, email, email_verified, nip, org_id, position,
                                   password_hash, status, created_at, updated_at, password_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)
             RETURNING id",
            new.kind.code(),
            new.username.as_str(),
            new.display_name.trim(),
            new.email.map(Email::as_str),
            new.email_verified,
            new.nip.map(Nip::as_str),
            new.org_id.map(|o| o.0),
            new.position.map(str::trim).filter(|p| !p.is_empty()),
            new.password_hash,
            new.status.code(),
            now,
            new.password_hash.map(|_| now)
        ))
        .await?;
    Ok(AccountId(id))
}

/// An account as shown to itself and to administrators.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub nip: Option<String>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub position: Option<String>,
    pub status: AccountStatus,
    pub has_password: bool,
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    kind: String,
    username: String,
    display_name: String,
    email: Option<String>,
    email_verified: bool,
    nip: Option<String>,
    org_code: Option<String>,
    org_name: Option<String>,
    position: Option<String>,
    status: String,
    has_password: bool,
    created_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AccountId(r.id),
            kind: AccountKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("account kind {:?}", r.kind)))?,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            email_verified: r.email_verified,
            nip: r.nip,
            org_code: r.org_code,
            org_name: r.org_name,
            position: r.position,
            status: AccountStatus::from_code(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("account status {:?}", r.status)))?,
            has_password: r.has_password,
            created_at: Timestamp(r.created_at),
        })
    }
}

const SELECT_ACCOUNT: &str =
    "SELECT a.id, a.kind, a.username, a.display_name, a.email, a.email_verified, a.nip,
        o.code AS org_code, o.name AS org_name, a.position, a.status,
        (a.password_hash IS NOT NULL) AS has_password, a.created_at
     FROM accounts a LEFT JOIN org_nodes o ON o.id = a.org_id";

/// The account itself, for its owner and for the system.
pub async fn get(ex: &mut impl Exec, id: AccountId) -> Result<Option<Account>, StoreError> {
    let mut b = SqlBuilder::new(SELECT_ACCOUNT);
    b.push(" WHERE a.id = ").bind(id.0);
    let row: Option<AccountRow> = ex.fetch_optional(b.build()).await?;
    row.map(Account::try_from).transpose()
}

pub async fn by_username(
    ex: &mut impl Exec,
    username: &Username,
) -> Result<Option<Account>, StoreError> {
    let mut b = SqlBuilder::new(SELECT_ACCOUNT);
    b.push(" WHERE a.username = ").bind(username.as_str());
    let row: Option<AccountRow> = ex.fetch_optional(b.build()).await?;
    row.map(Account::try_from).transpose()
}

/// An account whose home org lies inside `scope`. Accounts outside it, and
/// accounts without an org unless the scope is province-wide, are `None`:
/// not yours looks exactly like not found.
pub async fn get_in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    let mut b = SqlBuilder::new(SELECT_ACCOUNT);
    b.push(" WHERE a.id = ")
        .bind(id.0)
        .push(" AND ")
        .push_scope("o.code", scope);
    let row: Option<AccountRow> = ex.fetch_optional(b.build()).await?;
    row.map(Account::try_from).transpose()
}

/// Accounts inside `scope`, newest first, optionally filtered by a search
/// over username, name, NIP and e-mail.
pub async fn list_in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Account>, StoreError> {
    let mut b = SqlBuilder::new(SELECT_ACCOUNT);
    b.push(" WHERE ").push_scope("o.code", scope);
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let p = format!("%{}%", crate::orgs::escape_like(&s.to_lowercase()));
        b.push(" AND (a.username LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\'");
        b.push(" OR lower(a.display_name) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\'");
        b.push(" OR a.nip LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\'");
        b.push(" OR lower(a.email) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    b.push(" ORDER BY a.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    ex.fetch_all::<AccountRow>(b.build())
        .await?
        .into_iter()
        .map(Account::try_from)
        .collect()
}

/// What sign-in needs to know about the account a login identifier names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub kind: String,
    pub status: String,
    pub password_hash: Option<String>,
    pub org_code: Option<String>,
}

impl Credentials {
    pub fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }

    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active.code()
    }
}

pub async fn credentials_by_id(
    ex: &mut impl Exec,
    id: AccountId,
) -> Result<Option<Credentials>, StoreError> {
    ex.fetch_optional(q!(
        "SELECT a.id, a.username, a.kind, a.status, a.password_hash, o.code AS org_code
         FROM accounts a LEFT JOIN org_nodes o ON o.id = a.org_id WHERE a.id = $1",
        id.0
    ))
    .await
}

pub async fn find_credentials(
    ex: &mut impl Exec,
    login: &LoginId,
) -> Result<Option<Credentials>, StoreError> {
    let select = "SELECT a.id, a.username, a.kind, a.status, a.password_hash, o.code AS org_code
                  FROM accounts a LEFT JOIN org_nodes o ON o.id = a.org_id WHERE ";
    let mut b = SqlBuilder::new(select);
    where_login(&mut b, login);
    ex.fetch_optional(b.build()).await
}

/// Appends the condition that the account `a` is the one `login` names
/// (username, NIP, or e-mail address in any case).
pub(crate) fn where_login(b: &mut SqlBuilder, login: &LoginId) {
    match login {
        LoginId::Username(u) => b.push("a.username = ").bind(u.as_str()),
        LoginId::Nip(n) => b.push("a.nip = ").bind(n.as_str()),
        LoginId::Email(e) => b.push("lower(a.email) = ").bind(e.as_str().to_lowercase()),
    };
}

pub async fn set_password_hash(
    ex: &mut impl Exec,
    id: AccountId,
    hash: &str,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    let n = ex
        .execute(q!(
            "UPDATE accounts SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3",
            hash,
            now,
            id.0
        ))
        .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Locks, unlocks or approves an account inside `scope`. An account that
/// holds a role outside the caller's scope (say, a province administrator
/// whose home unit is in the caller's region) is out of reach.
pub async fn set_status(
    ex: &mut impl Exec,
    scope: &Scope,
    id: AccountId,
    status: AccountStatus,
) -> Result<(), AdminError> {
    debug_assert_eq!(scope.permission(), Permission::ManageAccounts);
    if get_in_scope(ex, scope, id).await?.is_none() {
        return Err(AdminError::NotFound);
    }
    if grants(ex, id)
        .await?
        .iter()
        .any(|g| !scope.contains(&g.org_code))
    {
        return Err(AdminError::Outranked);
    }
    ex.execute(q!(
        "UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3",
        status.code(),
        Timestamp::now(),
        id.0
    ))
    .await?;
    Ok(())
}

/// A role grant as listed on an account.
#[derive(Debug, Clone, Serialize)]
pub struct GrantInfo {
    pub id: i64,
    pub role: Role,
    pub org_code: OrgCode,
    pub org_name: String,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    role: String,
    org_code: String,
    org_name: String,
}

pub async fn grants(ex: &mut impl Exec, account: AccountId) -> Result<Vec<GrantInfo>, StoreError> {
    let rows: Vec<GrantRow> = ex
        .fetch_all(q!(
            "SELECT g.id, g.role, o.code AS org_code, o.name AS org_name
             FROM role_grants g JOIN org_nodes o ON o.id = g.org_id
             WHERE g.account_id = $1 ORDER BY o.code, g.role",
            account.0
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(GrantInfo {
                id: r.id,
                role: Role::from_code(&r.role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", r.role)))?,
                org_code: OrgCode::parse(&r.org_code)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                org_name: r.org_name,
            })
        })
        .collect()
}

/// The principal for an account: its kind and every role it holds.
pub async fn principal(
    ex: &mut impl Exec,
    account: AccountId,
    kind: AccountKind,
) -> Result<Principal, StoreError> {
    let grants = grants(ex, account)
        .await?
        .into_iter()
        .map(|g| Grant {
            role: g.role,
            org: g.org_code,
        })
        .collect();
    Ok(Principal::new(account, kind, grants))
}

/// Why an administrative change to an account was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The account or the org node is outside the caller's scope, or gone.
    #[error("not found")]
    NotFound,
    #[error("the account already holds this role there")]
    Duplicate,
    /// The account holds roles outside the caller's scope.
    #[error("the account holds roles outside your scope")]
    Outranked,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique(_) => Self::Duplicate,
            StoreError::NotFound => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// Grants `role` at `org` to an account. Both must lie inside `scope`.
pub async fn add_grant(
    ex: &mut impl Exec,
    scope: &Scope,
    account: AccountId,
    role: Role,
    org: &OrgCode,
    granted_by: Option<AccountId>,
) -> Result<i64, AdminError> {
    debug_assert_eq!(scope.permission(), Permission::ManageAccounts);
    if !scope.contains(org) || get_in_scope(ex, scope, account).await?.is_none() {
        return Err(AdminError::NotFound);
    }
    let node = crate::orgs::by_code(ex, org)
        .await?
        .ok_or(AdminError::NotFound)?;
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO role_grants (account_id, role, org_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            account.0,
            role.code(),
            node.id.0,
            granted_by.map(|a| a.0),
            Timestamp::now()
        ))
        .await?;
    Ok(id)
}

/// Removes a grant whose org lies inside `scope`; returns what was removed.
pub async fn remove_grant(
    ex: &mut impl Exec,
    scope: &Scope,
    account: AccountId,
    grant_id: i64,
) -> Result<GrantInfo, AdminError> {
    debug_assert_eq!(scope.permission(), Permission::ManageAccounts);
    let grant = grants(ex, account)
        .await?
        .into_iter()
        .find(|g| g.id == grant_id && scope.contains(&g.org_code))
        .ok_or(AdminError::NotFound)?;
    if get_in_scope(ex, scope, account).await?.is_none() {
        return Err(AdminError::NotFound);
    }
    ex.execute(q!(
        "DELETE FROM role_grants WHERE id = $1 AND account_id = $2",
        grant_id,
        account.0
    ))
    .await?;
    Ok(grant)
}

/// Grants without a scope check, for the command line and demo data only.
pub async fn add_grant_as_system(
    ex: &mut impl Exec,
    account: AccountId,
    role: Role,
    org: &OrgCode,
) -> Result<(), AdminError> {
    let node = crate::orgs::by_code(ex, org)
        .await?
        .ok_or(AdminError::NotFound)?;
    ex.execute(q!(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, granted_at) VALUES ($1, $2, $3, NULL, $4)
         ON CONFLICT (account_id, role, org_id) DO NOTHING",
        account.0,
        role.code(),
        node.id.0,
        Timestamp::now()
    ))
    .await?;
    Ok(())
}
