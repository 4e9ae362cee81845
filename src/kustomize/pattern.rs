//! kustomize's regular expressions (patch targets, image names), matched without compiling
//! a regex when the pattern is a plain name.
//!
//! kustomize reads patch target fields and `images` names as RE2 regexes. Almost all are
//! plain names (`web`, `ghcr.io/acme/api`), where the only metacharacter is `.` (any one
//! character); compiling a `regex::Regex` for each was a tenth of a small build's
//! instructions. A plain name is matched here character by character with the regex's own
//! meaning; anything else is compiled as before.

use regex::Regex;

/// One compiled pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// A plain name: each element is a literal character, or `None` for `.` (any character
    /// but a newline, as in the regex).
    Plain(Vec<Option<char>>),
    /// Anything else, compiled by the caller's full regex.
    Regex(Regex),
}

impl Pattern {
    /// The pattern `p` as a plain name, when it is one: ASCII letters, digits, `_`, `-`,
    /// `/`, `:` and `.` only (none of them special to the regex but `.`).
    pub fn plain(p: &str) -> Option<Vec<Option<char>>> {
        p.chars()
            .map(|c| match c {
                '.' => Some(None),
                c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | ':') => {
                    Some(Some(c))
                }
                _ => None,
            })
            .collect()
    }

    /// A pattern that must match a whole string, as kustomize's `^(?:p)$`.
    pub fn whole(p: &str) -> Result<Pattern, regex::Error> {
        match Pattern::plain(p) {
            Some(chars) => Ok(Pattern::Plain(chars)),
            None => Regex::new(&format!("^(?:{})$", go_syntax(p))).map(Pattern::Regex),
        }
    }

    /// Whether the pattern matches all of `s`.
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            Pattern::Plain(chars) => strip_plain(chars, s).is_some_and(str::is_empty),
            Pattern::Regex(r) => r.is_match(s),
        }
    }
}

/// A Go (RE2) regular expression in the `regex` crate's syntax. Go reads a `{` that does
/// not start a repetition (`{2}`, `{2,}`, `{2,5}`) as a literal brace, so `${IMAGE}` is a
/// valid pattern there; the `regex` crate refuses it unless the brace is escaped.
pub fn go_syntax(p: &str) -> std::borrow::Cow<'_, str> {
    if !p.contains('{') {
        return std::borrow::Cow::Borrowed(p);
    }
    let is_repeat = |rest: &str| {
        let Some(body) = rest.strip_prefix('{') else {
            return false;
        };
        let Some(end) = body.find('}') else {
            return false;
        };
        let (min, max) = match body[..end].split_once(',') {
            Some((min, max)) => (min, Some(max)),
            None => (&body[..end], None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits(min) && max.is_none_or(|m| m.is_empty() || digits(m))
    };
    let mut out = String::with_capacity(p.len() + 4);
    let mut in_class = false;
    let mut chars = p.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class && !is_repeat(&p[i..]) => {
                out.push_str("\\{");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// What follows in `s` after the plain name `chars` (which has a fixed length), when `s`
/// starts with it.
pub fn strip_plain<'s>(chars: &[Option<char>], s: &'s str) -> Option<&'s str> {
    let mut it = s.char_indices();
    for want in chars {
        let (_, got) = it.next()?;
        match want {
            Some(c) if *c != got => return None,
            None if got == '\n' => return None,
            _ => {}
        }
    }
    Some(it.next().map_or("", |(at, _)| &s[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain path agrees with the regex it replaces.
    #[test]
    fn plain_names_match_as_the_regex_does() {
        let names = [
            "web",
            "web-1",
            "ghcr.io/acme/api",
            "a.b",
            "x_y:z",
            ".",
            "...",
        ];
        let subjects = [
            "web",
            "web-1",
            "web-12",
            "we",
            "",
            "ghcr.io/acme/api",
            "ghcrxio/acme/api",
            "a.b",
            "axb",
            "a\nb",
            "x_y:z",
            "é",
            "éé",
            "ab",
            "abc",
            "ghcr.io/acme/apix",
        ];
        for n in names {
            let fast = Pattern::whole(n).unwrap();
            assert!(matches!(fast, Pattern::Plain(_)), "{n} is plain");
            let slow = Regex::new(&format!("^(?:{n})$")).unwrap();
            for s in subjects {
                assert_eq!(fast.is_match(s), slow.is_match(s), "pattern {n:?} on {s:?}");
            }
        }
    }

    #[test]
    fn other_patterns_are_regexes() {
        for p in [
            "web.*", "a|b", "(x)", "[ab]", "web$", "a+", "\\d", "a b", "é",
        ] {
            assert!(
                matches!(Pattern::whole(p).unwrap(), Pattern::Regex(_)),
                "{p}"
            );
        }
        assert!(Pattern::whole("web-.*").unwrap().is_match("web-abc"));
        assert!(!Pattern::whole("web-.*").unwrap().is_match("xweb-abc"));
        assert!(Pattern::whole("a(").is_err());
        // Go reads a brace that starts no repetition literally.
        let braces = Pattern::whole("${IMG}-x{2}[{]").unwrap();
        assert!(!braces.is_match("${IMG}-xx{"));
        assert!(Pattern::whole("a{IMG}b{1,}").unwrap().is_match("a{IMG}bbb"));
        assert_eq!(go_syntax("[{]{,2}{2,5}\\{"), "[{]\\{,2}{2,5}\\{");
    }

    #[test]
    fn strip_returns_the_rest() {
        let p = Pattern::plain("nginx").unwrap();
        assert_eq!(strip_plain(&p, "nginx:1.2"), Some(":1.2"));
        assert_eq!(strip_plain(&p, "nginx"), Some(""));
        assert_eq!(strip_plain(&p, "ngin"), None);
        assert_eq!(strip_plain(&p, "nginy"), None);
    }
}
