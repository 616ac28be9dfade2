//! Custom surveys (needs surveys, event evaluations): questions of seven
//! kinds, shown conditionally, and the parsing of a respondent's answers.
//!
//! Form fields are named after the question: `q{id}` (one value; several for
//! a multiple-choice question) and `q{id}_r{row}` for each row of a matrix.
//! A question with a condition is shown — and may be required — only when
//! the respondent chose the given option of an earlier single- or
//! multiple-choice question; answers to hidden questions are dropped.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The kinds of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One of several options.
    Single,
    /// Any number of several options.
    Multiple,
    /// Agreement on a scale of 1 to `scale` points.
    Likert,
    /// A number, optionally within bounds.
    Number,
    /// One line of text.
    Short,
    /// Several lines of text.
    Long,
    /// One option (column) per row.
    Matrix,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 7] = [
        Self::Single,
        Self::Multiple,
        Self::Likert,
        Self::Number,
        Self::Short,
        Self::Long,
        Self::Matrix,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::Likert => "likert",
            Self::Number => "number",
            Self::Short => "short",
            Self::Long => "long",
            Self::Matrix => "matrix",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Single => "survey.kind_single",
            Self::Multiple => "survey.kind_multiple",
            Self::Likert => "survey.kind_likert",
            Self::Number => "survey.kind_number",
            Self::Short => "survey.kind_short",
            Self::Long => "survey.kind_long",
            Self::Matrix => "survey.kind_matrix",
        }
    }

    /// Whether the question offers options (and may be a condition).
    pub fn has_options(self) -> bool {
        matches!(self, Self::Single | Self::Multiple | Self::Matrix)
    }
}

/// Longest short answer and longest long answer, in characters.
pub const SHORT_MAX: usize = 200;
pub const LONG_MAX: usize = 4000;
/// Bounds on the shape of a question.
pub const MAX_OPTIONS: usize = 30;
pub const LIKERT_SCALES: [u8; 3] = [4, 5, 7];

/// A question as the respondent sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: i64,
    pub kind: QuestionKind,
    pub prompt: String,
    pub required: bool,
    /// Options of a single/multiple question; the columns of a matrix.
    pub options: Vec<String>,
    /// Rows of a matrix.
    pub rows: Vec<String>,
    /// Points of a Likert scale.
    pub scale: u8,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Shown only when question `.0` has option `.1` (0-based) chosen.
    pub show_if: Option<(i64, usize)>,
}

/// Why a question as designed is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DesignError {
    #[error("the question text is empty or longer than 500 characters")]
    Prompt,
    #[error("a choice question needs 2 to 30 options, each at most 200 characters")]
    Options,
    #[error("a matrix needs 1 to 30 rows")]
    Rows,
    #[error("a Likert scale has 4, 5 or 7 points")]
    Scale,
    #[error("the lower bound is above the upper bound")]
    Bounds,
    #[error("the condition must name an option of an earlier choice question")]
    Condition,
}

impl DesignError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Prompt => "prompt_invalid",
            Self::Options => "options_invalid",
            Self::Rows => "rows_invalid",
            Self::Scale => "scale_invalid",
            Self::Bounds => "bounds_invalid",
            Self::Condition => "condition_invalid",
        }
    }

    /// The builder form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Prompt => "prompt",
            Self::Options => "options",
            Self::Rows => "rows",
            Self::Scale => "scale",
            Self::Bounds => "min",
            Self::Condition => "show_if",
        }
    }
}

impl Question {
    /// Checks the design against the questions before it (conditions may
    /// only point backwards, so they can never form a cycle).
    pub fn check(&self, earlier: &[Question]) -> Result<(), DesignError> {
        let prompt = self.prompt.trim();
        if prompt.is_empty() || prompt.chars().count() > 500 {
            return Err(DesignError::Prompt);
        }
        let options_ok = |v: &[String]| {
            (2..=MAX_OPTIONS).contains(&v.len())
                && v.iter()
                    .all(|o| !o.trim().is_empty() && o.chars().count() <= 200)
        };
        match self.kind {
            QuestionKind::Single | QuestionKind::Multiple if !options_ok(&self.options) => {
                return Err(DesignError::Options);
            }
            QuestionKind::Matrix => {
                if !options_ok(&self.options) {
                    return Err(DesignError::Options);
                }
                if self.rows.is_empty()
                    || self.rows.len() > MAX_OPTIONS
                    || self
                        .rows
                        .iter()
                        .any(|r| r.trim().is_empty() || r.chars().count() > 200)
                {
                    return Err(DesignError::Rows);
                }
            }
            QuestionKind::Likert if !LIKERT_SCALES.contains(&self.scale) => {
                return Err(DesignError::Scale);
            }
            QuestionKind::Number => {
                if let (Some(lo), Some(hi)) = (self.min, self.max)
                    && lo > hi
                {
                    return Err(DesignError::Bounds);
                }
            }
            _ => {}
        }
        if let Some((qid, option)) = self.show_if {
            let target = earlier.iter().find(|q| q.id == qid);
            match target {
                Some(q)
                    if matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple)
                        && option < q.options.len() => {}
                _ => return Err(DesignError::Condition),
            }
        }
        Ok(())
    }

    pub fn field(&self) -> String {
        format!("q{}", self.id)
    }

    pub fn row_field(&self, row: usize) -> String {
        format!("q{}_r{row}", self.id)
    }
}

/// One question's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Answer {
    Choice(usize),
    Choices(Vec<usize>),
    Likert(u8),
    Number(f64),
    Text(String),
    /// The chosen column per row; `None` for a row left empty.
    Matrix(Vec<Option<usize>>),
}

/// Why an answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("an answer is required")]
    Required,
    #[error("not one of the options")]
    NotAnOption,
    #[error("not a number")]
    NotANumber,
    #[error("outside the allowed range")]
    OutOfRange,
    #[error("too long")]
    TooLong,
}

impl AnswerError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Required => "answer_required",
            Self::NotAnOption => "answer_not_an_option",
            Self::NotANumber => "answer_not_a_number",
            Self::OutOfRange => "answer_out_of_range",
            Self::TooLong => "answer_too_long",
        }
    }
}

/// The submitted form as field name → values (in order).
pub type RawAnswers = HashMap<String, Vec<String>>;

/// Groups `(name, value)` pairs of a form body by name.
pub fn group_fields(pairs: Vec<(String, String)>) -> RawAnswers {
    let mut out: RawAnswers = HashMap::new();
    for (k, v) in pairs {
        out.entry(k).or_default().push(v);
    }
    out
}

fn values<'a>(raw: &'a RawAnswers, field: &str) -> Vec<&'a str> {
    raw.get(field)
        .map(|v| {
            v.iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn option_index(value: &str, len: usize) -> Result<usize, AnswerError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|i| *i < len)
        .ok_or(AnswerError::NotAnOption)
}

/// Every refused answer: question id and why.
pub type AnswerErrors = Vec<(i64, AnswerError)>;

/// Whether `q` is shown, given the answers parsed so far.
pub fn is_shown(q: &Question, answered: &[(i64, Answer)]) -> bool {
    match q.show_if {
        None => true,
        Some((qid, option)) => answered.iter().any(|(id, a)| {
            *id == qid
                && match a {
                    Answer::Choice(c) => *c == option,
                    Answer::Choices(cs) => cs.contains(&option),
                    _ => false,
                }
        }),
    }
}

/// Parses every shown question's answer, in question order. Unanswered
/// optional questions are left out; answers to hidden questions are
/// ignored. Either all answers or every error (question id → error).
pub fn parse_answers(
    questions: &[Question],
    raw: &RawAnswers,
) -> Result<Vec<(i64, Answer)>, AnswerErrors> {
    let mut answers: Vec<(i64, Answer)> = Vec::new();
    let mut errors = Vec::new();
    for q in questions {
        if !is_shown(q, &answers) {
            continue;
        }
        match parse_one(q, raw) {
            Ok(Some(a)) => answers.push((q.id, a)),
            Ok(None) if q.required => errors.push((q.id, AnswerError::Required)),
            Ok(None) => {}
            Err(e) => errors.push((q.id, e)),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

fn parse_one(q: &Question, raw: &RawAnswers) -> Result<Option<Answer>, AnswerError> {
    let vals = values(raw, &q.field());
    match q.kind {
        QuestionKind::Single => match vals.as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(Answer::Choice(option_index(v, q.options.len())?))),
            _ => Err(AnswerError::NotAnOption),
        },
        QuestionKind::Multiple => {
            if vals.is_empty() {
                return Ok(None);
            }
            let mut chosen = vals
                .iter()
                .map(|v| option_index(v, q.options.len()))
                .collect::<Result<Vec<_>, _>>()?;
            chosen.sort_unstable();
            chosen.dedup();
            Ok(Some(Answer::Choices(chosen)))
        }
        QuestionKind::Likert => match vals.as_slice() {
            [] => Ok(None),
            [v] => v
                .parse::<u8>()
                .ok()
                .filter(|p| (1..=q.scale).contains(p))
                .map(|p| Some(Answer::Likert(p)))
                .ok_or(AnswerError::NotAnOption),
            _ => Err(AnswerError::NotAnOption),
        },
        QuestionKind::Number => match vals.as_slice() {
            [] => Ok(None),
            [v] => {
                let n: f64 = v
                    .replace(',', ".")
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or(AnswerError::NotANumber)?;
                if q.min.is_some_and(|lo| n < lo) || q.max.is_some_and(|hi| n > hi) {
                    return Err(AnswerError::OutOfRange);
                }
                Ok(Some(Answer::Number(n)))
            }
            _ => Err(AnswerError::NotANumber),
        },
        QuestionKind::Short | QuestionKind::Long => {
            let max = if q.kind == QuestionKind::Short {
                SHORT_MAX
            } else {
                LONG_MAX
            };
            match vals.as_slice() {
                [] => Ok(None),
                [v] if v.chars().count() > max => Err(AnswerError::TooLong),
                [v] if q.kind == QuestionKind::Short && v.contains(['\n', '\r']) => {
                    Ok(Some(Answer::Text(v.replace(['\n', '\r'], " "))))
                }
                [v] => Ok(Some(Answer::Text((*v).to_owned()))),
                _ => Err(AnswerError::TooLong),
            }
        }
        QuestionKind::Matrix => {
            let mut cells = Vec::with_capacity(q.rows.len());
            for row in 0..q.rows.len() {
                let vals = values(raw, &q.row_field(row));
                cells.push(match vals.as_slice() {
                    [] => None,
                    [v] => Some(option_index(v, q.options.len())?),
                    _ => return Err(AnswerError::NotAnOption),
                });
            }
            if cells.iter().all(Option::is_none) {
                Ok(None)
            } else if q.required && cells.iter().any(Option::is_none) {
                Err(AnswerError::Required)
            } else {
                Ok(Some(Answer::Matrix(cells)))
            }
        }
    }
}

/// Splits a textarea into options: one per line, trimmed, empty lines out.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i64, kind: QuestionKind) -> Question {
        Question {
            id,
            kind,
            prompt: format!("Pertanyaan {id}"),
            required: true,
            options: vec!["Ya".into(), "Tidak".into(), "Ragu".into()],
            rows: vec!["Materi".into(), "Narasumber".into()],
            scale: 5,
            min: None,
            max: None,
            show_if: None,
        }
    }

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        group_fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn every_kind_parses_its_answer() {
        let qs = vec![
            q(1, QuestionKind::Single),
            q(2, QuestionKind::Multiple),
            q(3, QuestionKind::Likert),
            Question {
                min: Some(0.0),
                max: Some(100.0),
                ..q(4, QuestionKind::Number)
            },
            q(5, QuestionKind::Short),
            q(6, QuestionKind::Long),
            q(7, QuestionKind::Matrix),
        ];
        let got = parse_answers(
            &qs,
            &raw(&[
                ("q1", "2"),
                ("q2", "2"),
                ("q2", "0"),
                ("q2", "2"),
                ("q3", "5"),
                ("q4", "12,5"),
                ("q5", "pendek\nsaja"),
                ("q6", "panjang\nsekali"),
                ("q7_r0", "1"),
                ("q7_r1", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                (1, Answer::Choice(2)),
                (2, Answer::Choices(vec![0, 2])),
                (3, Answer::Likert(5)),
                (4, Answer::Number(12.5)),
                (5, Answer::Text("pendek saja".into())),
                (6, Answer::Text("panjang\nsekali".into())),
                (7, Answer::Matrix(vec![Some(1), Some(0)])),
            ]
        );
    }

    #[test]
    fn bad_answers_are_named_per_question() {
        let qs = vec![
            q(1, QuestionKind::Single),
            q(2, QuestionKind::Likert),
            Question {
                min: Some(1.0),
                max: Some(10.0),
                ..q(3, QuestionKind::Number)
            },
            q(4, QuestionKind::Short),
            q(5, QuestionKind::Matrix),
            q(6, QuestionKind::Number),
        ];
        let long = "x".repeat(SHORT_MAX + 1);
        let errs = parse_answers(
            &qs,
            &raw(&[
                ("q1", "3"),
                ("q2", "6"),
                ("q3", "11"),
                ("q4", &long),
                ("q5_r0", "1"),
                ("q6", "sepuluh"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            errs,
            vec![
                (1, AnswerError::NotAnOption),
                (2, AnswerError::NotAnOption),
                (3, AnswerError::OutOfRange),
                (4, AnswerError::TooLong),
                (5, AnswerError::Required),
                (6, AnswerError::NotANumber),
            ]
        );
        let errs = parse_answers(&qs[..1], &raw(&[])).unwrap_err();
        assert_eq!(errs, vec![(1, AnswerError::Required)]);
        let errs = parse_answers(&qs[..1], &raw(&[("q1", "0"), ("q1", "1")])).unwrap_err();
        assert_eq!(errs, vec![(1, AnswerError::NotAnOption)], "one choice only");
        let errs = parse_answers(&qs[5..], &raw(&[("q6", "inf")])).unwrap_err();
        assert_eq!(errs, vec![(6, AnswerError::NotANumber)]);
    }

    #[test]
    fn conditional_questions_count_only_when_shown() {
        let follow_up = Question {
            show_if: Some((1, 1)),
            ..q(2, QuestionKind::Short)
        };
        let qs = vec![q(1, QuestionKind::Single), follow_up];
        // "Tidak" (option 1) shows the follow-up, which is then required.
        assert_eq!(
            parse_answers(&qs, &raw(&[("q1", "1")])).unwrap_err(),
            vec![(2, AnswerError::Required)]
        );
        // "Ya" hides it: not required, and an answer sent anyway is dropped.
        assert_eq!(
            parse_answers(&qs, &raw(&[("q1", "0"), ("q2", "diabaikan")])).unwrap(),
            vec![(1, Answer::Choice(0))]
        );
        // Conditions on a multiple-choice question look at every option chosen.
        let qs = vec![
            q(1, QuestionKind::Multiple),
            Question {
                show_if: Some((1, 2)),
                ..q(2, QuestionKind::Short)
            },
        ];
        assert!(parse_answers(&qs, &raw(&[("q1", "0"), ("q1", "2")])).is_err());
        assert!(parse_answers(&qs, &raw(&[("q1", "0")])).is_ok());
    }

    #[test]
    fn optional_questions_may_stay_empty() {
        let qs = vec![
            Question {
                required: false,
                ..q(1, QuestionKind::Matrix)
            },
            Question {
                required: false,
                ..q(2, QuestionKind::Number)
            },
        ];
        assert_eq!(parse_answers(&qs, &raw(&[])).unwrap(), vec![]);
        assert_eq!(
            parse_answers(&qs, &raw(&[("q1_r1", "2")])).unwrap(),
            vec![(1, Answer::Matrix(vec![None, Some(2)]))],
            "an optional matrix may be partly filled"
        );
    }

    #[test]
    fn designs_are_checked() {
        let ok = q(1, QuestionKind::Single);
        assert_eq!(ok.check(&[]), Ok(()));
        assert_eq!(
            Question {
                prompt: " ".into(),
                ..ok.clone()
            }
            .check(&[]),
            Err(DesignError::Prompt)
        );
        assert_eq!(
            Question {
                options: vec!["Satu".into()],
                ..ok.clone()
            }
            .check(&[]),
            Err(DesignError::Options)
        );
        assert_eq!(
            Question {
                rows: vec![],
                ..q(2, QuestionKind::Matrix)
            }
            .check(&[]),
            Err(DesignError::Rows)
        );
        assert_eq!(
            Question {
                scale: 6,
                ..q(2, QuestionKind::Likert)
            }
            .check(&[]),
            Err(DesignError::Scale)
        );
        assert_eq!(
            Question {
                min: Some(5.0),
                max: Some(1.0),
                ..q(2, QuestionKind::Number)
            }
            .check(&[]),
            Err(DesignError::Bounds)
        );
        // A text question needs no options at all.
        assert_eq!(
            Question {
                options: vec![],
                ..q(2, QuestionKind::Long)
            }
            .check(&[]),
            Ok(())
        );
        // Conditions point at an option of an earlier choice question.
        let cond = |target, option| Question {
            show_if: Some((target, option)),
            ..q(3, QuestionKind::Short)
        };
        assert_eq!(cond(1, 2).check(std::slice::from_ref(&ok)), Ok(()));
        assert_eq!(
            cond(1, 3).check(std::slice::from_ref(&ok)),
            Err(DesignError::Condition)
        );
        assert_eq!(
            cond(9, 0).check(std::slice::from_ref(&ok)),
            Err(DesignError::Condition)
        );
        assert_eq!(
            cond(2, 0).check(&[q(2, QuestionKind::Short)]),
            Err(DesignError::Condition)
        );
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for k in QuestionKind::ALL {
            assert_eq!(QuestionKind::from_code(k.code()), Some(k));
        }
        assert_eq!(QuestionKind::from_code("essay"), None);
        assert_eq!(lines(" A \n\n B\r\n"), vec!["A", "B"]);
    }
}
