//! The Indonesian analyzer `id_stem`: simple tokenizer → lowercase →
//! ASCII folding → the Sastrawi stemmer (Nazief–Adriani with confix
//! stripping), so `pelayanan`, `melayani` and `layanan` all become `layan`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under.
pub const ANALYZER: &str = "id_stem";

/// Stems longer than this are not worth stemming (codes, URLs, noise).
const MAX_STEM_INPUT: usize = 40;
/// Entries in each thread's stem cache before it is cleared.
const CACHE_LIMIT: usize = 50_000;

fn stemmer() -> &'static sastrawi::Stemmer<'static> {
    static DICT: OnceLock<sastrawi::Dictionary> = OnceLock::new();
    static STEMMER: OnceLock<sastrawi::Stemmer<'static>> = OnceLock::new();
    STEMMER.get_or_init(|| sastrawi::Stemmer::new(DICT.get_or_init(sastrawi::Dictionary::new)))
}

thread_local! {
    /// Keyed with foldhash: SipHash of each token was a tenth of a snippet.
    static CACHE: RefCell<HashMap<String, String, foldhash::fast::RandomState>> =
        RefCell::new(HashMap::default());
}

/// The stem of one lowercased, ASCII-folded word. Numbers, short words and
/// anything not purely alphabetic are kept as they are.
pub fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    stem_in_place(&mut w);
    w
}

/// Replaces `word` with its stem ([`stem`]); a cached stem costs a lookup
/// and a copy, no allocation (snippets analyse every stored text of a page).
fn stem_in_place(word: &mut String) {
    if word.len() <= 3
        || word.len() > MAX_STEM_INPUT
        || !word.bytes().all(|b| b.is_ascii_lowercase())
    {
        return;
    }
    CACHE.with(|cache| {
        if let Some(s) = cache.borrow().get(word.as_str()) {
            if s != word {
                word.clear();
                word.push_str(s);
            }
            return;
        }
        let s = stemmer().stem_word(word).into_owned();
        let s = if s.is_empty() { word.clone() } else { s };
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(std::mem::replace(word, s.clone()), s);
    });
}

/// The token filter that replaces each token's text with its stem.
#[derive(Clone, Copy, Debug, Default)]
pub struct IndonesianStemmer;

impl TokenFilter for IndonesianStemmer {
    type Tokenizer<T: Tokenizer> = StemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmerFilter<T> {
        StemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct StemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemmerFilter<T> {
    type TokenStream<'a> = StemmerTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmerTokenStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct StemmerTokenStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for StemmerTokenStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        stem_in_place(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The analyzer used for every text field and for the query words.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(IndonesianStemmer)
        .build()
}

/// The analyzed terms of `text`, in order.
pub fn terms(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_root_meet() {
        let t = terms("Pelayanan melayani layanan");
        assert_eq!(t, ["layan", "layan", "layan"], "{t:?}");
        assert_eq!(terms("pertanian"), ["tani"]);
        assert_eq!(terms("membangunkan"), ["bangun"]);
    }

    #[test]
    fn folds_case_and_accents_and_keeps_numbers() {
        assert_eq!(terms("PUSKESMAS"), terms("puskesmas"));
        assert_eq!(terms("Café"), ["cafe"]);
        assert_eq!(terms("SDG 3, 2024"), ["sdg", "3", "2024"]);
    }

    #[test]
    fn a_cached_stem_is_the_same() {
        assert_eq!(stem("melayani"), stem("melayani"));
        assert_eq!(stem("ibu"), "ibu");
    }
}
