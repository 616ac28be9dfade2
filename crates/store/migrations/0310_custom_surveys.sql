-- Custom surveys: needs surveys, event evaluations and the like, built by
-- survey administrators from seven kinds of question.
--
-- A token survey is answered with one-time tokens handed to known people;
-- `survey_tokens` knows who holds a token and whether it was used, and
-- nothing links a token to the response it produced (no response id, no
-- time of use), so results stay anonymous.

CREATE TABLE surveys (
    id {{pk}},
    org_id BIGINT NOT NULL REFERENCES org_nodes (id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    access TEXT NOT NULL CHECK (access IN ('anonim', 'token')),
    -- Open from/until (epoch ms); NULL means no bound.
    opens_at BIGINT,
    closes_at BIGINT,
    -- Drafts are visible to their administrators only.
    published BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX surveys_org ON surveys (org_id);

CREATE TABLE survey_questions (
    id {{pk}},
    survey_id BIGINT NOT NULL REFERENCES surveys (id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'likert', 'number', 'short', 'long', 'matrix')),
    prompt TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    -- JSON arrays of labels: options (columns of a matrix) and matrix rows.
    options TEXT NOT NULL DEFAULT '[]',
    matrix_rows TEXT NOT NULL DEFAULT '[]',
    scale BIGINT NOT NULL DEFAULT 5,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    -- Shown only when question show_if_question has option show_if_option chosen.
    show_if_question BIGINT REFERENCES survey_questions (id),
    show_if_option BIGINT
);
CREATE INDEX survey_questions_survey ON survey_questions (survey_id, position);

CREATE TABLE survey_responses (
    id {{pk}},
    survey_id BIGINT NOT NULL REFERENCES surveys (id),
    submission_key TEXT NOT NULL UNIQUE,
    submitted_at BIGINT NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);

-- One row per single/Likert/number/text answer, per option chosen in a
-- multiple-choice question, per row of a matrix.
CREATE TABLE survey_answers (
    response_id BIGINT NOT NULL REFERENCES survey_responses (id),
    question_id BIGINT NOT NULL REFERENCES survey_questions (id),
    row_index BIGINT NOT NULL DEFAULT 0,
    choice BIGINT,
    number DOUBLE PRECISION,
    body TEXT
);
CREATE INDEX survey_answers_response ON survey_answers (response_id);
CREATE INDEX survey_answers_question ON survey_answers (question_id, row_index, choice);

CREATE TABLE survey_tokens (
    id {{pk}},
    survey_id BIGINT NOT NULL REFERENCES surveys (id),
    -- SHA-256 of the token; the token itself is shown once, when issued.
    token_hash TEXT NOT NULL UNIQUE,
    -- Who the token was given to (a name, a NIP): kept apart from answers.
    holder TEXT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX survey_tokens_survey ON survey_tokens (survey_id);
