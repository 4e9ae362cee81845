//! Plain-scalar resolution as go-yaml resolves it (v3 when reading, v2 when deciding
//! whether a string must be quoted on output), and Go's number and time formatting.

/// A plain scalar resolved to a YAML type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A timestamp, already formatted as Go's `time.Time` JSON form (RFC 3339, nanoseconds).
    Timestamp(String),
    /// `<<`
    Merge,
    Str,
}

/// Which go-yaml major version's rules to apply.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rules {
    /// go-yaml v3 (YAML 1.2 booleans, `0o` octal): how kustomize reads.
    V3,
    /// go-yaml v2 (YAML 1.1 booleans `yes/no/on/off/y/n`): how kustomize writes.
    V2,
}

/// Resolves an untagged plain scalar (go-yaml `resolve("", s)`).
pub(crate) fn resolve_plain(s: &str, rules: Rules) -> Resolved {
    let Some(&first) = s.as_bytes().first() else {
        return Resolved::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            lookup(s, rules).unwrap_or(Resolved::Str)
        }
        b'.' => {
            if let Some(r) = lookup(s, rules) {
                return r;
            }
            // Go's ParseFloat, which takes `_` between digits.
            if s.contains('_') {
                let plain = s.replace('_', "");
                if underscore_ok(s) && is_dot_float(&plain) {
                    if let Some(f) = finite(&plain) {
                        return Resolved::Float(f);
                    }
                }
            } else if is_dot_float(s) {
                if let Some(f) = finite(s) {
                    return Resolved::Float(f);
                }
            }
            Resolved::Str
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(r) = lookup(s, rules) {
                return r;
            }
            if let Some(ts) = parse_timestamp(s) {
                return Resolved::Timestamp(ts.rfc3339nano());
            }
            resolve_number(s, rules).unwrap_or(Resolved::Str)
        }
        _ => Resolved::Str,
    }
}

/// Numbers only (no timestamp): the `D`/`S` branch of go-yaml's resolver.
pub(crate) fn resolve_number(s: &str, rules: Rules) -> Option<Resolved> {
    let owned;
    let plain = if s.contains('_') {
        owned = s.replace('_', "");
        owned.as_str()
    } else {
        s
    };
    if let Some(n) = go_parse_int(plain) {
        return Some(n);
    }
    if is_yaml_float(plain) {
        if let Some(f) = finite(plain) {
            return Some(Resolved::Float(f));
        }
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        return radix_signed(rest, 2, false);
    }
    if let Some(rest) = plain.strip_prefix("-0b") {
        return radix_signed(rest, 2, true);
    }
    if rules == Rules::V3 {
        if let Some(rest) = plain.strip_prefix("0o") {
            return radix_signed(rest, 8, false);
        }
        if let Some(rest) = plain.strip_prefix("-0o") {
            return radix_signed(rest, 8, true);
        }
    }
    None
}

fn lookup(s: &str, rules: Rules) -> Option<Resolved> {
    let r = match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" if rules == Rules::V2 => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" if rules == Rules::V2 => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ => return None,
    };
    Some(r)
}

fn finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `underscoreOK` for a decimal number: each `_` sits between two digits.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
    })
}

/// `^\.[0-9]+([eE][-+]?[0-9]+)?$`: what Go's ParseFloat accepts after a leading dot.
fn is_dot_float(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'.') {
        return false;
    }
    let n = digits(b, 1);
    if n == 0 {
        return false;
    }
    exponent_ok(b, 1 + n)
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if b.get(i) == Some(&b'.') {
        let n = digits(b, i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    } else {
        let n = digits(b, i);
        if n == 0 {
            return false;
        }
        i += n;
        if b.get(i) == Some(&b'.') {
            i += 1 + digits(b, i + 1);
        }
    }
    exponent_ok(b, i)
}

fn digits(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count())
}

fn exponent_ok(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None => true,
        Some(b'e' | b'E') => {
            let j = i + 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            let n = digits(b, j);
            n > 0 && j + n == b.len()
        }
        _ => false,
    }
}

/// Go `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)` (no underscores left).
fn go_parse_int(s: &str) -> Option<Resolved> {
    let b = s.as_bytes();
    let (neg, signed, body) = match b.first()? {
        b'-' => (true, true, &b[1..]),
        b'+' => (false, true, &b[1..]),
        _ => (false, false, b),
    };
    let (radix, digits) = match body {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', _, ..] => (8, &body[1..]),
        _ => (10, body),
    };
    let mag = magnitude(digits, radix)?;
    if neg {
        if mag <= 1u128 << 63 {
            return Some(Resolved::Int((mag as i128).wrapping_neg() as i64));
        }
        return None;
    }
    if mag <= i64::MAX as u128 {
        return Some(Resolved::Int(mag as i64));
    }
    if !signed && mag <= u64::MAX as u128 {
        return Some(Resolved::Uint(mag as u64));
    }
    None
}

fn magnitude(digits: &[u8], radix: u32) -> Option<u128> {
    if digits.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)?;
        v = v * u128::from(radix) + u128::from(d);
        if v > u128::from(u64::MAX) {
            return None;
        }
    }
    Some(v)
}

/// `ParseInt(rest, radix, 64)` (which takes its own sign), then `ParseUint`, as go-yaml does
/// after stripping a `0b`/`0o` prefix; `neg` for the `-0b` form.
fn radix_signed(rest: &str, radix: u32, neg: bool) -> Option<Resolved> {
    let b = rest.as_bytes();
    let (sign_neg, signed, digits) = match b.first() {
        Some(b'-') => (true, true, &b[1..]),
        Some(b'+') => (false, true, &b[1..]),
        _ => (false, false, b),
    };
    if neg && signed {
        return None;
    }
    let mag = magnitude(digits, radix)?;
    if sign_neg || neg {
        return (mag <= 1u128 << 63).then(|| Resolved::Int((mag as i128).wrapping_neg() as i64));
    }
    if mag <= i64::MAX as u128 {
        return Some(Resolved::Int(mag as i64));
    }
    (!signed && !neg).then_some(Resolved::Uint(mag as u64))
}

/// go-yaml v2 `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) || !b.contains(&b':') {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let n = digits(b, i);
        // `[0-5]?[0-9]`: one digit, or two with the first in 0..=5.
        match n {
            1 => i += 1,
            _ if n >= 2 && b[i] <= b'5' => i += 2,
            _ if n >= 2 => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// A timestamp as Go's `time.Parse` reads go-yaml's four accepted layouts.
#[derive(Debug, PartialEq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nsec: u32,
    /// Seconds east of UTC.
    offset: i32,
}

/// go-yaml `parseTimestamp`: layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub(crate) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year = num(&b[..4]);
    let mut i = 5;
    let month = getnum(b, &mut i)?;
    if !(1..=12).contains(&month) || b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = getnum(b, &mut i)?;
    let mut t = Timestamp {
        year,
        month,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nsec: 0,
        offset: 0,
    };
    if i < b.len() {
        let sep = b[i];
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        i += 1;
        t.hour = getnum(b, &mut i)?;
        if t.hour >= 24 || b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        t.min = getnum(b, &mut i)?;
        if t.min >= 60 || b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        t.sec = getnum(b, &mut i)?;
        if t.sec >= 60 {
            return None;
        }
        if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let n = digits(b, i + 1);
            let take = n.min(9);
            let mut ns = num(&b[i + 1..i + 1 + take]);
            for _ in take..9 {
                ns *= 10;
            }
            t.nsec = ns;
            i += 1 + n;
        }
        if sep == b' ' {
            if i != b.len() {
                return None;
            }
        } else {
            match b.get(i)? {
                b'Z' => i += 1,
                &sign @ (b'+' | b'-') => {
                    let z = b.get(i..i + 6)?;
                    if z[3] != b':' || !z[1..3].iter().chain(&z[4..6]).all(u8::is_ascii_digit) {
                        return None;
                    }
                    let (hh, mm) = (num(&z[1..3]), num(&z[4..6]));
                    if hh > 24 || mm > 60 {
                        return None;
                    }
                    let off = (hh * 60 + mm) as i32 * 60;
                    t.offset = if sign == b'-' { -off } else { off };
                    i += 6;
                }
                _ => return None,
            }
            if i != b.len() {
                return None;
            }
        }
    }
    (t.day >= 1 && t.day <= days_in(t.month, t.year)).then_some(t)
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, c| a * 10 + u32::from(c - b'0'))
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(b: &[u8], i: &mut usize) -> Option<u32> {
    let d0 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
    *i += 1;
    match b.get(*i) {
        Some(&d1) if d1.is_ascii_digit() => {
            *i += 1;
            Some(u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'))
        }
        _ => Some(u32::from(d0 - b'0')),
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// Go `time.Time.Format(time.RFC3339Nano)` (what `json.Marshal` writes).
    pub(crate) fn rfc3339nano(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.min, self.sec
        );
        if self.nsec > 0 {
            let frac = format!("{:09}", self.nsec);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if self.offset == 0 {
            s.push('Z');
        } else {
            let a = self.offset.unsigned_abs() / 60;
            let sign = if self.offset < 0 { '-' } else { '+' };
            s.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
        }
        s
    }
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(crate) fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e6".
    let (neg, digits, exp) = shortest_digits(f);
    layout_g(neg, &digits, exp)
}

/// Go `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that read back as the
/// same float32 (sigs.k8s.io/yaml names a float mapping key so).
pub(crate) fn go_format_g32(f: f32) -> String {
    if !f.is_finite() || f == 0.0 {
        return go_format_g(f64::from(f));
    }
    let (neg, digits, exp) = split_e(&format!("{f:e}"));
    layout_g(neg, &digits, exp)
}

fn layout_g(neg: bool, digits: &str, exp: i32) -> String {
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// How kustomize finally prints a float64: Go `json.Marshal` writes it, go-yaml v2 reads
/// that text back (integral values become ints) and prints it with `'g'` formatting.
pub(crate) fn kustomize_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // json.Marshal writes the shortest digits padded with zeros ('f' format), which
        // go-yaml v2 reads back as an int when it fits in int64 or uint64.
        let (neg, digits, exp) = shortest_digits(f);
        let mut text = String::with_capacity(24);
        text.push_str(&digits);
        for _ in digits.len()..=(exp.max(0) as usize) {
            text.push('0');
        }
        if let Ok(v) = text.parse::<u64>() {
            if !neg {
                return text;
            }
            if v <= 1u64 << 63 {
                return if v == 0 {
                    "0".into()
                } else {
                    format!("-{text}")
                };
            }
        }
    }
    go_format_g(f)
}

/// Shortest round-trip decimal digits of a finite `f` and the exponent of the first one.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    split_e(&format!("{f:e}"))
}

fn split_e(e: &str) -> (bool, String, i32) {
    let (mant, exp) = e.split_once('e').unwrap_or((e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    (
        neg,
        mant.chars().filter(char::is_ascii_digit).collect(),
        exp,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_numbers() {
        let r = |s| resolve_plain(s, Rules::V3);
        assert_eq!(r("0444"), Resolved::Int(292));
        assert_eq!(r("0x1F"), Resolved::Int(31));
        assert_eq!(r("0o17"), Resolved::Int(15));
        assert_eq!(r("-0o17"), Resolved::Int(-15));
        assert_eq!(r("0x1_F"), Resolved::Int(31));
        assert_eq!(r("1__0"), Resolved::Int(10));
        assert_eq!(r("-0b11"), Resolved::Int(-3));
        assert_eq!(r("+12"), Resolved::Int(12));
        assert_eq!(r("09"), Resolved::Float(9.0));
        assert_eq!(
            r("12345678901234567890"),
            Resolved::Uint(12345678901234567890)
        );
        assert_eq!(
            r("123456789012345678901234"),
            Resolved::Float(123456789012345678901234.0)
        );
        assert_eq!(r(".5"), Resolved::Float(0.5));
        assert_eq!(r("3."), Resolved::Float(3.0));
        assert_eq!(r("1e400"), Resolved::Str);
        assert_eq!(r("1:20"), Resolved::Str);
        assert_eq!(r("yes"), Resolved::Str);
        assert_eq!(resolve_plain("yes", Rules::V2), Resolved::Bool(true));
        assert_eq!(resolve_plain("0o17", Rules::V2), Resolved::Int(15));
        assert_eq!(r("0b-1"), Resolved::Int(-1));
        assert_eq!(r(".5_00"), Resolved::Float(0.5));
        assert_eq!(r(".5__0"), Resolved::Str);
        assert_eq!(r("._5"), Resolved::Str);
        assert_eq!(r("-"), Resolved::Str);
        assert_eq!(r("0x"), Resolved::Str);
    }

    #[test]
    fn timestamps() {
        let f = |s| parse_timestamp(s).map(|t| t.rfc3339nano());
        assert_eq!(f("2001-12-14").as_deref(), Some("2001-12-14T00:00:00Z"));
        assert_eq!(
            f("2001-12-14T21:59:43.10Z").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            f("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            f("2001-1-4t1:2:3+05:30").as_deref(),
            Some("2001-01-04T01:02:03+05:30")
        );
        assert_eq!(f("2001-12-14T21:59:43"), None);
        assert_eq!(f("2001-02-29"), None);
        assert_eq!(f("2000-02-29").as_deref(), Some("2000-02-29T00:00:00Z"));
        assert_eq!(f("2001-13-01"), None);
        assert_eq!(f("2001-12-14 21:59:43.10 -5"), None);
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("190:20:30.15"));
        assert!(is_base60_float("-1:2"));
        assert!(!is_base60_float("1:60"));
        assert!(!is_base60_float("1:"));
        assert!(!is_base60_float("a:1"));
        assert!(!is_base60_float("12:34:"));
    }

    #[test]
    fn floats() {
        assert_eq!(go_format_g(1e-7), "1e-07");
        assert_eq!(go_format_g(1e21), "1e+21");
        assert_eq!(go_format_g(1234567.5), "1.2345675e+06");
        assert_eq!(go_format_g(123456.5), "123456.5");
        assert_eq!(go_format_g(0.0001), "0.0001");
        assert_eq!(go_format_g(0.00001), "1e-05");
        assert_eq!(go_format_g(-0.5), "-0.5");
        assert_eq!(kustomize_float(1.0), "1");
        assert_eq!(kustomize_float(-0.0), "0");
        assert_eq!(kustomize_float(1e20), "1e+20");
        assert_eq!(kustomize_float(1e19), "10000000000000000000");
        assert_eq!(
            kustomize_float(-9223372036854775809.0),
            "-9.223372036854776e+18"
        );
        assert_eq!(
            kustomize_float(18446744073709551616.0),
            "1.8446744073709552e+19"
        );
        assert_eq!(kustomize_float(6.02e23), "6.02e+23");
        assert_eq!(
            kustomize_float(123456789012345678901234.0),
            "1.2345678901234569e+23"
        );
    }
}
