//! Custom surveys: the survey and its questions, responses stored in one
//! transaction with their answers (and the one-time token they used),
//! results aggregated in SQL, tokens, and pages of raw answers for exports.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::custom::{Answer, Question, QuestionKind};
use rumah_domain::time::Timestamp;
use serde::Serialize;

use crate::secret::{new_token, token_hash};
use crate::{Exec, SqlBuilder, StoreError, Tx, orgs, q};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Survey {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// `anonim` or `token`.
    pub access: String,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub published: bool,
    pub org_code: String,
    pub org_name: String,
}

impl Survey {
    pub fn needs_token(&self) -> bool {
        self.access == "token"
    }

    /// Whether it accepts responses at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.published
            && self.opens_at.is_none_or(|t| now.0 >= t)
            && self.closes_at.is_none_or(|t| now.0 < t)
    }
}

const SELECT: &str =
    "SELECT s.id, s.slug, s.title, s.description, s.access, s.opens_at, s.closes_at,
        s.published, o.code AS org_code, o.name AS org_name
     FROM surveys s JOIN org_nodes o ON o.id = s.org_id";

/// A survey by its public slug (for respondents; drafts included, the caller
/// decides what to show).
pub async fn by_slug(ex: &mut impl Exec, slug: &str) -> Result<Option<Survey>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE s.slug = ").bind(slug);
    ex.fetch_optional(b.build()).await
}

/// A survey the caller manages, or `None` as if it did not exist.
pub async fn in_scope(
    ex: &mut impl Exec,
    scope: &Scope,
    id: i64,
) -> Result<Option<Survey>, StoreError> {
    debug_assert_eq!(scope.permission(), Permission::ManageSurveys);
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE s.id = ")
        .bind(id)
        .push(" AND ")
        .push_scope("o.code", scope);
    ex.fetch_optional(b.build()).await
}

pub async fn list_in_scope(ex: &mut impl Exec, scope: &Scope) -> Result<Vec<Survey>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE ")
        .push_scope("o.code", scope)
        .push(" ORDER BY s.created_at DESC, s.id DESC");
    ex.fetch_all(b.build()).await
}

/// Published surveys that accept answers now, newest first (the public list).
pub async fn list_open(ex: &mut impl Exec, now: Timestamp) -> Result<Vec<Survey>, StoreError> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE s.published = TRUE AND (s.opens_at IS NULL OR s.opens_at <= ")
        .bind(now)
        .push(") AND (s.closes_at IS NULL OR s.closes_at > ")
        .bind(now)
        .push(") ORDER BY s.created_at DESC, s.id DESC LIMIT 100");
    ex.fetch_all(b.build()).await
}

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("org node not found")]
    OrgNotFound,
    #[error("invalid slug")]
    Slug,
    #[error("slug taken")]
    SlugTaken,
    #[error("invalid title")]
    Title,
    #[error("the survey has responses; its questions can no longer change")]
    HasResponses,
    #[error("another question depends on this one")]
    Referenced,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct SurveySettings<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub token_only: bool,
    pub opens_at: Option<Timestamp>,
    pub closes_at: Option<Timestamp>,
}

fn check_settings(s: &SurveySettings<'_>) -> Result<(), SurveyError> {
    let title = s.title.trim();
    if title.is_empty() || title.chars().count() > 200 || s.description.chars().count() > 4000 {
        return Err(SurveyError::Title);
    }
    Ok(())
}

/// Creates a draft survey on an org node inside `scope`.
pub async fn create(
    ex: &mut impl Exec,
    scope: &Scope,
    org: &OrgCode,
    slug: &str,
    settings: &SurveySettings<'_>,
) -> Result<Survey, SurveyError> {
    debug_assert_eq!(scope.permission(), Permission::ManageSurveys);
    if !scope.contains(org) {
        return Err(SurveyError::OrgNotFound);
    }
    let node = orgs::by_code(ex, org)
        .await?
        .ok_or(SurveyError::OrgNotFound)?;
    if !crate::surveys::units::valid_slug(slug) {
        return Err(SurveyError::Slug);
    }
    check_settings(settings)?;
    let now = Timestamp::now();
    let row = ex
        .fetch_one::<(i64,)>(q!(
            "INSERT INTO surveys (org_id, slug, title, description, access, opens_at, closes_at, published, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $8) RETURNING id",
            node.id.0,
            slug,
            settings.title.trim(),
            settings.description.trim(),
            if settings.token_only { "token" } else { "anonim" },
            settings.opens_at,
            settings.closes_at,
            now
        ))
        .await;
    let (id,) = match row {
        Ok(r) => r,
        Err(e) if e.is_unique_on("slug") => return Err(SurveyError::SlugTaken),
        Err(e) => return Err(e.into()),
    };
    in_scope(ex, scope, id)
        .await?
        .ok_or(SurveyError::Store(StoreError::NotFound))
}

pub async fn update_settings(
    ex: &mut impl Exec,
    survey: &Survey,
    settings: &SurveySettings<'_>,
    published: bool,
) -> Result<(), SurveyError> {
    check_settings(settings)?;
    ex.execute(q!(
        "UPDATE surveys SET title = $1, description = $2, access = $3, opens_at = $4, closes_at = $5,
             published = $6, updated_at = $7 WHERE id = $8",
        settings.title.trim(),
        settings.description.trim(),
        if settings.token_only { "token" } else { "anonim" },
        settings.opens_at,
        settings.closes_at,
        published,
        Timestamp::now(),
        survey.id
    ))
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: i64,
    kind: String,
    prompt: String,
    required: bool,
    options: String,
    matrix_rows: String,
    scale: i64,
    min_value: Option<f64>,
    max_value: Option<f64>,
    show_if_question: Option<i64>,
    show_if_option: Option<i64>,
}

impl TryFrom<QuestionRow> for Question {
    type Error = StoreError;
    fn try_from(r: QuestionRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("survey question {}: {what}", r.id));
        Ok(Question {
            id: r.id,
            kind: QuestionKind::from_code(&r.kind).ok_or_else(|| corrupt("kind"))?,
            prompt: r.prompt,
            required: r.required,
            options: serde_json::from_str(&r.options).map_err(|_| corrupt("options"))?,
            rows: serde_json::from_str(&r.matrix_rows).map_err(|_| corrupt("rows"))?,
            scale: u8::try_from(r.scale).map_err(|_| corrupt("scale"))?,
            min: r.min_value,
            max: r.max_value,
            show_if: match (r.show_if_question, r.show_if_option) {
                (Some(q), Some(o)) => {
                    Some((q, usize::try_from(o).map_err(|_| corrupt("condition"))?))
                }
                _ => None,
            },
        })
    }
}

/// The questions of a survey, in order.
pub async fn questions(ex: &mut impl Exec, survey_id: i64) -> Result<Vec<Question>, StoreError> {
    let rows: Vec<QuestionRow> = ex
        .fetch_all(q!(
            "SELECT id, kind, prompt, required, options, matrix_rows, scale, min_value, max_value,
                 show_if_question, show_if_option
             FROM survey_questions WHERE survey_id = $1 ORDER BY position, id",
            survey_id
        ))
        .await?;
    rows.into_iter().map(Question::try_from).collect()
}

pub async fn response_count(ex: &mut impl Exec, survey_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex
        .fetch_one(q!(
            "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1",
            survey_id
        ))
        .await?;
    Ok(n)
}

async fn unlocked(tx: &mut Tx, survey: &Survey) -> Result<(), SurveyError> {
    if response_count(tx, survey.id).await? > 0 {
        Err(SurveyError::HasResponses)
    } else {
        Ok(())
    }
}

/// Appends a question (already checked with `Question::check` against the
/// existing ones). Refused once the survey has responses.
pub async fn add_question(
    tx: &mut Tx,
    survey: &Survey,
    question: &Question,
) -> Result<i64, SurveyError> {
    unlocked(tx, survey).await?;
    let json =
        |v: &Vec<String>| serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()));
    let (id,): (i64,) = tx
        .fetch_one(q!(
            "INSERT INTO survey_questions (survey_id, position, kind, prompt, required, options, matrix_rows,
                 scale, min_value, max_value, show_if_question, show_if_option)
             VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM survey_questions WHERE survey_id = $1),
                 $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             RETURNING id",
            survey.id,
            question.kind.code(),
            question.prompt.trim(),
            question.required,
            json(&question.options)?,
            json(&question.rows)?,
            i64::from(question.scale),
            question.min,
            question.max,
            question.show_if.map(|(q, _)| q),
            question.show_if.map(|(_, o)| i64::try_from(o).unwrap_or(i64::MAX))
        ))
        .await?;
    Ok(id)
}

/// Removes a question nothing depends on. Refused once there are responses.
pub async fn delete_question(
    tx: &mut Tx,
    survey: &Survey,
    question_id: i64,
) -> Result<(), SurveyError> {
    unlocked(tx, survey).await?;
    let (dependants,): (i64,) = tx
        .fetch_one(q!(
            "SELECT COUNT(*) FROM survey_questions WHERE survey_id = $1 AND show_if_question = $2",
            survey.id,
            question_id
        ))
        .await?;
    if dependants > 0 {
        return Err(SurveyError::Referenced);
    }
    let n = tx
        .execute(q!(
            "DELETE FROM survey_questions WHERE id = $1 AND survey_id = $2",
            question_id,
            survey.id
        ))
        .await?;
    if n == 0 {
        Err(StoreError::NotFound.into())
    } else {
        Ok(())
    }
}

/// What happened to a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    Stored,
    /// The same submission key was stored before.
    Duplicate,
    /// The token is unknown, of another survey, or used.
    TokenRefused,
}

/// Stores a response and its answers in one transaction; for a token
/// survey the token is used up in the same transaction, so a token yields
/// exactly one response and a failed write leaves it unused.
pub async fn submit(
    tx: &mut Tx,
    survey: &Survey,
    key: &str,
    answers: &[(i64, Answer)],
    token: Option<&str>,
) -> Result<Submitted, StoreError> {
    let seen: Option<(i64,)> = tx
        .fetch_optional(q!(
            "SELECT id FROM survey_responses WHERE submission_key = $1",
            key
        ))
        .await?;
    if seen.is_some() {
        return Ok(Submitted::Duplicate);
    }
    if survey.needs_token() {
        let Some(token) = token else {
            return Ok(Submitted::TokenRefused);
        };
        let n = tx
            .execute(q!(
                "UPDATE survey_tokens SET used = TRUE WHERE token_hash = $1 AND survey_id = $2 AND used = FALSE",
                token_hash(token),
                survey.id
            ))
            .await?;
        if n == 0 {
            return Ok(Submitted::TokenRefused);
        }
    }
    let row: Option<(i64,)> = tx
        .fetch_optional(q!(
            "INSERT INTO survey_responses (survey_id, submission_key, submitted_at) VALUES ($1, $2, $3)
             ON CONFLICT (submission_key) DO NOTHING RETURNING id",
            survey.id,
            key,
            Timestamp::now()
        ))
        .await?;
    let Some((response,)) = row else {
        return Ok(Submitted::Duplicate);
    };
    for (question, answer) in answers {
        let insert = |row: i64, choice: Option<i64>, number: Option<f64>, body: Option<&str>| {
            q!(
                "INSERT INTO survey_answers (response_id, question_id, row_index, choice, number, body)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                response,
                *question,
                row,
                choice,
                number,
                body
            )
        };
        let idx = |i: usize| i64::try_from(i).unwrap_or(i64::MAX);
        let queries = match answer {
            Answer::Choice(c) => vec![insert(0, Some(idx(*c)), None, None)],
            Answer::Choices(cs) => cs
                .iter()
                .map(|c| insert(0, Some(idx(*c)), None, None))
                .collect(),
            Answer::Likert(p) => vec![insert(0, Some(i64::from(*p)), None, None)],
            Answer::Number(n) => vec![insert(0, None, Some(*n), None)],
            Answer::Text(t) => vec![insert(0, None, None, Some(t.as_str()))],
            Answer::Matrix(cells) => cells
                .iter()
                .enumerate()
                .filter_map(|(r, c)| c.map(|c| insert(idx(r), Some(idx(c)), None, None)))
                .collect(),
        };
        for query in queries {
            tx.execute(query).await?;
        }
    }
    Ok(Submitted::Stored)
}

/// How many responses chose each option: (question, row, choice, count).
pub async fn choice_counts(
    ex: &mut impl Exec,
    survey_id: i64,
) -> Result<Vec<(i64, i64, i64, i64)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT a.question_id, a.row_index, a.choice, COUNT(*)
         FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
         WHERE r.survey_id = $1 AND a.choice IS NOT NULL
         GROUP BY a.question_id, a.row_index, a.choice",
        survey_id
    ))
    .await
}

/// Per question: how many responses answered it.
pub async fn answered(ex: &mut impl Exec, survey_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT a.question_id, COUNT(DISTINCT a.response_id)
         FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
         WHERE r.survey_id = $1 GROUP BY a.question_id",
        survey_id
    ))
    .await
}

/// Mean, minimum and maximum of each number question: (question, mean, min, max).
pub async fn number_stats(
    ex: &mut impl Exec,
    survey_id: i64,
) -> Result<Vec<(i64, f64, f64, f64)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT a.question_id, CAST(AVG(a.number) AS DOUBLE PRECISION), CAST(MIN(a.number) AS DOUBLE PRECISION),
             CAST(MAX(a.number) AS DOUBLE PRECISION)
         FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
         WHERE r.survey_id = $1 AND a.number IS NOT NULL GROUP BY a.question_id",
        survey_id
    ))
    .await
}

/// The latest text answers to a question.
pub async fn texts(
    ex: &mut impl Exec,
    question_id: i64,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = ex
        .fetch_all(q!(
            "SELECT body FROM survey_answers WHERE question_id = $1 AND body IS NOT NULL
             ORDER BY response_id DESC LIMIT $2",
            question_id,
            limit
        ))
        .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// Issues one token per holder; returns (holder, token) — the only time the
/// tokens are seen.
pub async fn issue_tokens(
    tx: &mut Tx,
    survey: &Survey,
    holders: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let now = Timestamp::now();
    let mut out = Vec::with_capacity(holders.len());
    for holder in holders {
        let token = new_token("sv_");
        tx.execute(q!(
            "INSERT INTO survey_tokens (survey_id, token_hash, holder, used, created_at) VALUES ($1, $2, $3, FALSE, $4)",
            survey.id,
            token_hash(&token),
            holder.as_str(),
            now
        ))
        .await?;
        out.push((holder.clone(), token));
    }
    Ok(out)
}

/// Token holders and whether each has answered.
pub async fn tokens(ex: &mut impl Exec, survey_id: i64) -> Result<Vec<(String, bool)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT holder, used FROM survey_tokens WHERE survey_id = $1 ORDER BY id",
        survey_id
    ))
    .await
}

/// Whether `token` is an unused token of the survey.
pub async fn token_usable(
    ex: &mut impl Exec,
    survey_id: i64,
    token: &str,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = ex
        .fetch_optional(q!(
            "SELECT id FROM survey_tokens WHERE token_hash = $1 AND survey_id = $2 AND used = FALSE",
            token_hash(token),
            survey_id
        ))
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` responses after `after`, in id order: (id, submitted_at).
pub async fn response_page(
    ex: &mut impl Exec,
    survey_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.fetch_all(q!(
        "SELECT id, submitted_at FROM survey_responses WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        survey_id,
        after,
        limit
    ))
    .await
}

/// One stored answer row, for exports.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnswerRow {
    pub response_id: i64,
    pub question_id: i64,
    pub row_index: i64,
    pub choice: Option<i64>,
    pub number: Option<f64>,
    pub body: Option<String>,
}

/// The answers of responses `from..=to` of a survey, by response.
pub async fn answers_between(
    ex: &mut impl Exec,
    survey_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<AnswerRow>, StoreError> {
    ex.fetch_all(q!(
        "SELECT a.response_id, a.question_id, a.row_index, a.choice, a.number, a.body
         FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
         WHERE r.survey_id = $1 AND a.response_id BETWEEN $2 AND $3
         ORDER BY a.response_id, a.question_id, a.row_index, a.choice",
        survey_id,
        from,
        to
    ))
    .await
}
