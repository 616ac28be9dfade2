use rumah_domain::authz::Scope;
use rumah_domain::orgs::OrgCode;

use crate::{Query, Value};

/// Assembles SQL from fixed fragments and `$n` placeholders, for queries
/// whose shape depends on filters or on the caller's [`Scope`]. Values are
/// only ever bound, never formatted into the text.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    sql: String,
    args: Vec<Value>,
}

impl SqlBuilder {
    pub fn new(start: &'static str) -> Self {
        Self {
            sql: start.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.sql.push_str(fragment);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.args.push(value.into());
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Appends a condition true for rows whose org code column is `root` or
    /// lies below it.
    pub fn push_subtree(&mut self, code_column: &'static str, root: &OrgCode) -> &mut Self {
        self.sql.push('(');
        self.sql.push_str(code_column);
        self.push(" = ").bind(root.as_str());
        self.sql.push_str(" OR ");
        self.sql.push_str(code_column);
        self.push(" LIKE ").bind(root.descendants_pattern());
        self.sql.push(')');
        self
    }

    /// Appends a condition true for rows whose org code column `code_column`
    /// lies inside `scope`. Province-wide scopes see everything, including
    /// rows with no org at all.
    pub fn push_scope(&mut self, code_column: &'static str, scope: &Scope) -> &mut Self {
        if scope.is_province_wide() {
            self.sql.push_str("1 = 1");
            return self;
        }
        self.sql.push('(');
        for (i, root) in scope.roots().iter().enumerate() {
            if i > 0 {
                self.sql.push_str(" OR ");
            }
            self.push_subtree(code_column, root);
        }
        self.sql.push(')');
        self
    }

    pub fn build(self) -> Query {
        let mut q = Query::assembled(self.sql);
        for a in self.args {
            q.push_arg(a);
        }
        q
    }
}
