//! Go's `time` layouts: `Time.Format` and `time.ParseInLocation` with a reference
//! layout (`2006-01-02T15:04:05Z07:00`), over [`GoTime`]. Both walk the layout with
//! the same tokenizer as Go (`nextStdChunk`), so an element the one reads is the
//! element the other writes; parse errors are worded as Go's `*time.ParseError`.
//!
//! strata has no zone database: `Local` is UTC, named "UTC" (as in a container with
//! no TZ), and a parsed offset that is not zero becomes Go's fixed zone.

use super::dates::{GoTime, Zone};
use std::borrow::Cow;

/// One element of a layout (Go's `std*` constants); fractional seconds carry their
/// digit count and separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    /// `Z0700`, `Z070000`, `Z07`, `Z07:00`, `Z07:00:00` (Z for UTC) and their `-` forms.
    Offset {
        z: bool,
        shape: OffsetShape,
    },
    /// `.000` (`trim` false) or `.999` (`trim` true), `sep` '.' or ','.
    Frac {
        digits: usize,
        trim: bool,
        sep: u8,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OffsetShape {
    /// `0700`
    HhMm,
    /// `070000`
    HhMmSs,
    /// `07`
    Hh,
    /// `07:00`
    ColonHhMm,
    /// `07:00:00`
    ColonHhMmSs,
}

const OFFSETS: [(&str, OffsetShape); 5] = [
    ("070000", OffsetShape::HhMmSs),
    ("07:00:00", OffsetShape::ColonHhMmSs),
    ("0700", OffsetShape::HhMm),
    ("07:00", OffsetShape::ColonHhMm),
    ("07", OffsetShape::Hh),
];

/// Go's `nextStdChunk`: the text before the first element, the element, and the rest.
/// Every element is ASCII, so the cuts fall on character boundaries.
fn next_chunk(layout: &str) -> (&str, Option<(Std, &str)>, &str) {
    let b = layout.as_bytes();
    for i in 0..b.len() {
        if let Some((std, len)) = chunk_at(b, i) {
            return (
                &layout[..i],
                Some((std, &layout[i..i + len])),
                &layout[i + len..],
            );
        }
    }
    (layout, None, "")
}

/// The element starting at `b[i]`, if any, and its length.
fn chunk_at(b: &[u8], i: usize) -> Option<(Std, usize)> {
    let rest = &b[i..];
    let has = |p: &str| rest.starts_with(p.as_bytes());
    // "Jan" and "Mon" followed by a lower-case letter are words ("Janet", "Month").
    let lower_after = |n: usize| rest.get(n).is_some_and(u8::is_ascii_lowercase);
    Some(match b[i] {
        b'J' if has("January") => (Std::LongMonth, 7),
        b'J' if has("Jan") && !lower_after(3) => (Std::Month, 3),
        b'M' if has("Monday") => (Std::LongWeekDay, 6),
        b'M' if has("Mon") && !lower_after(3) => (Std::WeekDay, 3),
        b'M' if has("MST") => (Std::TZ, 3),
        b'0' if matches!(rest.get(1), Some(b'1'..=b'6')) => {
            let std = [
                Std::ZeroMonth,
                Std::ZeroDay,
                Std::ZeroHour12,
                Std::ZeroMinute,
                Std::ZeroSecond,
                Std::Year,
            ][usize::from(rest[1] - b'1')];
            (std, 2)
        }
        b'0' if has("002") => (Std::ZeroYearDay, 3),
        b'1' if has("15") => (Std::Hour, 2),
        b'1' => (Std::NumMonth, 1),
        b'2' if has("2006") => (Std::LongYear, 4),
        b'2' => (Std::Day, 1),
        // "_2006" is a literal "_" and the year: the caller sees the year at i + 1.
        b'_' if has("_2") && !has("_2006") => (Std::UnderDay, 2),
        b'_' if has("__2") => (Std::UnderYearDay, 3),
        b'3' => (Std::Hour12, 1),
        b'4' => (Std::Minute, 1),
        b'5' => (Std::Second, 1),
        b'P' if has("PM") => (Std::PM, 2),
        b'p' if has("pm") => (Std::Pm, 2),
        b'-' | b'Z' => {
            let (p, shape) = OFFSETS
                .iter()
                .find(|(p, _)| rest[1..].starts_with(p.as_bytes()))?;
            let z = b[i] == b'Z';
            (Std::Offset { z, shape: *shape }, p.len() + 1)
        }
        b'.' | b',' if matches!(rest.get(1), Some(b'0' | b'9')) => {
            let digit = rest[1];
            let n = rest[1..].iter().take_while(|&&d| d == digit).count();
            // Only a fractional second is all digits: "05.0001" is not one.
            if rest.get(1 + n).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let std = Std::Frac {
                // Go keeps the count in 12 bits.
                digits: n & 0xfff,
                trim: digit == b'9',
                sep: b[i],
            };
            (std, n + 1)
        }
        _ => return None,
    })
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `appendInt`: `x` in decimal, zero-padded to `width` digits after the sign.
fn push_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Go's `Time.Format`.
pub fn format(t: &GoTime, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::with_capacity(layout.len() + 10);
    let mut layout = layout;
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        out.push_str(prefix);
        let Some((std, _)) = std else { break };
        layout = suffix;
        let twelve = match c.hour % 12 {
            0 => 12,
            h => h,
        };
        match std {
            Std::Year => push_int(&mut out, c.year.abs() % 100, 2),
            Std::LongYear => push_int(&mut out, c.year, 4),
            Std::Month => out.push_str(&LONG_MONTHS[c.month as usize - 1][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[c.month as usize - 1]),
            Std::NumMonth => push_int(&mut out, c.month, 0),
            Std::ZeroMonth => push_int(&mut out, c.month, 2),
            Std::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => push_int(&mut out, c.day, 0),
            Std::UnderDay => {
                if c.day < 10 {
                    out.push(' ');
                }
                push_int(&mut out, c.day, 0);
            }
            Std::ZeroDay => push_int(&mut out, c.day, 2),
            Std::UnderYearDay => {
                out.push_str(match c.yday {
                    ..10 => "  ",
                    10..100 => " ",
                    _ => "",
                });
                push_int(&mut out, c.yday, 0);
            }
            Std::ZeroYearDay => push_int(&mut out, c.yday, 3),
            Std::Hour => push_int(&mut out, c.hour, 2),
            Std::Hour12 => push_int(&mut out, twelve, 0),
            Std::ZeroHour12 => push_int(&mut out, twelve, 2),
            Std::Minute => push_int(&mut out, c.minute, 0),
            Std::ZeroMinute => push_int(&mut out, c.minute, 2),
            Std::Second => push_int(&mut out, c.second, 0),
            Std::ZeroSecond => push_int(&mut out, c.second, 2),
            Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Offset { z, shape } => push_offset(&mut out, t.zone.offset, z, shape),
            Std::TZ if !t.zone.name.is_empty() => out.push_str(&t.zone.name),
            // A zone without a name prints as -0700.
            Std::TZ => push_offset(&mut out, t.zone.offset, false, OffsetShape::HhMm),
            Std::Frac { digits, trim, sep } => push_frac(&mut out, t.nanos, digits, trim, sep),
        }
    }
    out
}

fn push_offset(out: &mut String, offset: i32, z: bool, shape: OffsetShape) {
    if z && offset == 0 {
        out.push('Z');
        return;
    }
    // Go takes the sign from the offset in whole minutes: -2 seconds is "+00:00:-2".
    let mut minutes = i64::from(offset) / 60;
    let mut seconds = i64::from(offset);
    if minutes < 0 {
        out.push('-');
        minutes = -minutes;
        seconds = -seconds;
    } else {
        out.push('+');
    }
    push_int(out, minutes / 60, 2);
    let colon = matches!(shape, OffsetShape::ColonHhMm | OffsetShape::ColonHhMmSs);
    if colon {
        out.push(':');
    }
    if shape != OffsetShape::Hh {
        push_int(out, minutes % 60, 2);
    }
    if matches!(shape, OffsetShape::HhMmSs | OffsetShape::ColonHhMmSs) {
        if colon {
            out.push(':');
        }
        push_int(out, seconds % 60, 2);
    }
}

/// Go's `appendNano`: at most nine digits; `.999` drops trailing zeros (and the
/// separator with them).
fn push_frac(out: &mut String, nanos: u32, digits: usize, trim: bool, sep: u8) {
    if trim && (digits == 0 || nanos == 0) {
        return;
    }
    let all = format!("{nanos:09}");
    let mut frac = &all[..digits.min(9)];
    if trim {
        frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            return;
        }
    }
    out.push(char::from(sep));
    out.push_str(frac);
}

/// Go's `*time.ParseError`, already worded.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError(pub String);

/// What was read of the value so far (Go's `parse` locals).
#[derive(Default)]
struct Fields {
    year: i64,
    month: Option<i64>,
    day: Option<i64>,
    yday: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    pm: bool,
    am: bool,
    /// `Z` or `UTC` in the value.
    utc: bool,
    offset: Option<i32>,
    zone_name: Option<String>,
}

/// Go's `time.ParseInLocation(layout, value, loc)`; `loc` is `Local` for sprig's
/// `toDate` (UTC here) and a fixed zone for TOML's local datetimes.
pub fn parse_in_location(layout: &str, value: &str, loc: &Zone) -> Result<GoTime, ParseError> {
    let err_at = |layout_elem: &str, value_elem: &[u8]| {
        ParseError(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(value.as_bytes()),
            quote(layout.as_bytes()),
            quote(value_elem),
            quote(layout_elem.as_bytes())
        ))
    };
    let err_msg = |msg: &str| ParseError(format!("parsing time {}{msg}", quote(value.as_bytes())));
    let mut f = Fields::default();
    let mut rest_layout = layout;
    let mut v: &[u8] = value.as_bytes();
    loop {
        let (prefix, std, suffix) = next_chunk(rest_layout);
        v = skip(v, prefix.as_bytes()).map_err(|at| err_at(prefix, at))?;
        let Some((std, std_text)) = std else {
            if !v.is_empty() {
                return Err(err_msg(&format!(": extra text: {}", quote(v))));
            }
            break;
        };
        rest_layout = suffix;
        let hold = v;
        match read_element(std, v, suffix, &mut f) {
            Ok(next) => v = next,
            Err(Bad::Range(what)) => return Err(err_msg(&format!(": {what} out of range"))),
            Err(Bad::Syntax) => return Err(err_at(std_text, hold)),
        }
    }
    finish(f, loc).map_err(err_msg)
}

/// Why an element did not parse: Go's `errBad`, or a value out of range.
enum Bad {
    Syntax,
    Range(&'static str),
}

/// Reads one layout element off the front of `v`; `later` is the layout after it.
fn read_element<'a>(std: Std, v: &'a [u8], later: &str, f: &mut Fields) -> Result<&'a [u8], Bad> {
    match std {
        Std::Year => {
            let p = v.get(..2).ok_or(Bad::Syntax)?;
            let y = atoi(p).ok_or(Bad::Syntax)?;
            // Go's pivot: 69..99 are the 1900s.
            f.year = if y >= 69 { y + 1900 } else { y + 2000 };
            Ok(&v[2..])
        }
        Std::LongYear => {
            if v.len() < 4 || !v[0].is_ascii_digit() {
                return Err(Bad::Syntax);
            }
            f.year = atoi(&v[..4]).ok_or(Bad::Syntax)?;
            Ok(&v[4..])
        }
        Std::Month | Std::LongMonth => {
            let (i, rest) = lookup(&names(std), v).ok_or(Bad::Syntax)?;
            f.month = Some(i as i64 + 1);
            Ok(rest)
        }
        Std::NumMonth | Std::ZeroMonth => {
            let (m, rest) = getnum(v, std == Std::ZeroMonth).ok_or(Bad::Syntax)?;
            f.month = Some(m);
            if !(1..=12).contains(&m) {
                return Err(Bad::Range("month"));
            }
            Ok(rest)
        }
        // The weekday is checked for its spelling and otherwise ignored.
        Std::WeekDay | Std::LongWeekDay => Ok(lookup(&names(std), v).ok_or(Bad::Syntax)?.1),
        Std::Day | Std::UnderDay | Std::ZeroDay => {
            let v = match v {
                [b' ', rest @ ..] if std == Std::UnderDay => rest,
                _ => v,
            };
            // Any one- or two-digit day; checked against the month at the end.
            let (d, rest) = getnum(v, std == Std::ZeroDay).ok_or(Bad::Syntax)?;
            f.day = Some(d);
            Ok(rest)
        }
        Std::UnderYearDay | Std::ZeroYearDay => {
            let mut v = v;
            if std == Std::UnderYearDay {
                for _ in 0..2 {
                    if let [b' ', rest @ ..] = v {
                        v = rest;
                    }
                }
            }
            let (d, rest) = getnum3(v, std == Std::ZeroYearDay).ok_or(Bad::Syntax)?;
            f.yday = Some(d);
            Ok(rest)
        }
        Std::Hour => clock(v, false, 0..24, "hour", &mut f.hour),
        Std::Hour12 | Std::ZeroHour12 => {
            clock(v, std == Std::ZeroHour12, 0..13, "hour", &mut f.hour)
        }
        Std::Minute | Std::ZeroMinute => {
            clock(v, std == Std::ZeroMinute, 0..60, "minute", &mut f.minute)
        }
        Std::Second | Std::ZeroSecond => {
            let rest = clock(v, std == Std::ZeroSecond, 0..60, "second", &mut f.second)?;
            seconds_fraction(rest, later, f)
        }
        Std::PM | Std::Pm => {
            let p = v.get(..2).ok_or(Bad::Syntax)?;
            let (pm, am): (&[u8], &[u8]) = if std == Std::PM {
                (b"PM", b"AM")
            } else {
                (b"pm", b"am")
            };
            if p == pm {
                f.pm = true;
            } else if p == am {
                f.am = true;
            } else {
                return Err(Bad::Syntax);
            }
            Ok(&v[2..])
        }
        Std::Offset { z: true, .. } if v.first() == Some(&b'Z') => {
            f.utc = true;
            Ok(&v[1..])
        }
        Std::Offset { shape, .. } => read_offset(v, shape, f),
        Std::TZ => {
            if v.starts_with(b"UTC") {
                f.utc = true;
                return Ok(&v[3..]);
            }
            let n = zone_name_len(v).ok_or(Bad::Syntax)?;
            f.zone_name = Some(String::from_utf8_lossy(&v[..n]).into_owned());
            Ok(&v[n..])
        }
        Std::Frac {
            digits,
            trim: false,
            ..
        } => {
            let n = 1 + digits;
            if v.len() < n {
                return Err(Bad::Syntax);
            }
            f.nanos = nanoseconds(v, n)?;
            Ok(&v[n..])
        }
        Std::Frac { trim: true, .. } => {
            if v.len() < 2 || !matches!(v[0], b'.' | b',') || !v[1].is_ascii_digit() {
                // The fraction may be left out.
                return Ok(v);
            }
            // Any number of digits, as after a second without a fraction in the layout.
            let n = 1 + v[1..].iter().take_while(|d| d.is_ascii_digit()).count();
            f.nanos = nanoseconds(v, n)?;
            Ok(&v[n..])
        }
    }
}

fn names(std: Std) -> Vec<&'static str> {
    match std {
        Std::Month => LONG_MONTHS.iter().map(|m| &m[..3]).collect(),
        Std::LongMonth => LONG_MONTHS.to_vec(),
        Std::WeekDay => LONG_DAYS.iter().map(|d| &d[..3]).collect(),
        _ => LONG_DAYS.to_vec(),
    }
}

/// An hour, minute or second: its number must fall in `range`.
fn clock<'a>(
    v: &'a [u8],
    fixed: bool,
    range: std::ops::Range<i64>,
    what: &'static str,
    into: &mut i64,
) -> Result<&'a [u8], Bad> {
    let (n, rest) = getnum(v, fixed).ok_or(Bad::Syntax)?;
    *into = n;
    if !range.contains(&n) {
        return Err(Bad::Range(what));
    }
    Ok(rest)
}

/// A fraction after the seconds that the layout does not ask for is read anyway,
/// unless a fractional second comes later in the layout.
fn seconds_fraction<'a>(v: &'a [u8], later: &str, f: &mut Fields) -> Result<&'a [u8], Bad> {
    if v.len() < 2 || !matches!(v[0], b'.' | b',') || !v[1].is_ascii_digit() {
        return Ok(v);
    }
    if let (_, Some((Std::Frac { .. }, _)), _) = next_chunk(later) {
        return Ok(v);
    }
    let n = 1 + v[1..].iter().take_while(|d| d.is_ascii_digit()).count();
    f.nanos = nanoseconds(v, n)?;
    Ok(&v[n..])
}

/// A numeric zone offset (`-0700`, `+07:00`, ...); Go allows 24 hours and 60 minutes.
fn read_offset<'a>(v: &'a [u8], shape: OffsetShape, f: &mut Fields) -> Result<&'a [u8], Bad> {
    let (len, colons): (usize, &[usize]) = match shape {
        OffsetShape::ColonHhMm => (6, &[3]),
        OffsetShape::Hh => (3, &[]),
        OffsetShape::ColonHhMmSs => (9, &[3, 6]),
        OffsetShape::HhMmSs => (7, &[]),
        OffsetShape::HhMm => (5, &[]),
    };
    if v.len() < len || colons.iter().any(|&i| v[i] != b':') {
        return Err(Bad::Syntax);
    }
    let (hh, mm, ss): (&[u8], &[u8], &[u8]) = match shape {
        OffsetShape::ColonHhMm => (&v[1..3], &v[4..6], b"00"),
        OffsetShape::Hh => (&v[1..3], b"00", b"00"),
        OffsetShape::ColonHhMmSs => (&v[1..3], &v[4..6], &v[7..9]),
        OffsetShape::HhMmSs => (&v[1..3], &v[3..5], &v[5..7]),
        OffsetShape::HhMm => (&v[1..3], &v[3..5], b"00"),
    };
    let rest = &v[len..];
    let two = |s: &[u8]| getnum(s, true).map(|(n, _)| n);
    // Go reads all three before it looks at any error, and the last range error wins.
    let (hr, mi, se) = (two(hh), two(mm), two(ss));
    let mut range = None;
    if hr.is_some_and(|h| h > 24) {
        range = Some("time zone offset hour");
    }
    if hr.is_some() && mi.is_some_and(|m| m > 60) {
        range = Some("time zone offset minute");
    }
    if hr.is_some() && mi.is_some() && se.is_some_and(|s| s > 60) {
        range = Some("time zone offset second");
    }
    if let Some(what) = range {
        return Err(Bad::Range(what));
    }
    let (Some(hr), Some(mi), Some(se)) = (hr, mi, se) else {
        return Err(Bad::Syntax);
    };
    let offset = ((hr * 60 + mi) * 60 + se) as i32;
    f.offset = Some(match v[0] {
        b'+' => offset,
        b'-' => -offset,
        _ => return Err(Bad::Syntax),
    });
    Ok(rest)
}

/// Go's `parseNanoseconds`: `v[..n]` is a separator and digits; ten bytes at most count.
fn nanoseconds(v: &[u8], n: usize) -> Result<i64, Bad> {
    if !matches!(v.first(), Some(b'.' | b',')) {
        return Err(Bad::Syntax);
    }
    let n = n.min(10);
    let ns = atoi(&v[1..n]).ok_or(Bad::Syntax)?;
    if ns < 0 {
        return Err(Bad::Range("fractional second"));
    }
    Ok(ns * 10i64.pow((10 - n) as u32))
}

/// Go's `atoi`: an optional sign and decimal digits (none is zero); `None` on anything
/// else or overflow.
fn atoi(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (x, rest) = leading_int(digits)?;
    if !rest.is_empty() {
        return None;
    }
    let x = x as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

/// Go's `leadingInt`: the leading digits as a number up to 2^63, and what follows.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    for &c in &s[..n] {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
    }
    Some((x, &s[n..]))
}

/// Go's `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let d = |i: usize| {
        s.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i64::from(c - b'0'))
    };
    let first = d(0)?;
    match d(1) {
        Some(second) => Some((first * 10 + second, &s[2..])),
        None if fixed => None,
        None => Some((first, &s[1..])),
    }
}

/// Go's `getnum3`: one to three digits (`fixed`: exactly three).
fn getnum3(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let n = s.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    let v = s[..n]
        .iter()
        .fold(0, |acc, c| acc * 10 + i64::from(c - b'0'));
    Some((v, &s[n..]))
}

/// Go's `lookup`: the first name that starts `v`, ignoring ASCII case.
fn lookup<'a>(tab: &[&str], v: &'a [u8]) -> Option<(usize, &'a [u8])> {
    tab.iter().enumerate().find_map(|(i, name)| {
        let n = name.len();
        let head = v.get(..n)?;
        head.eq_ignore_ascii_case(name.as_bytes())
            .then(|| (i, &v[n..]))
    })
}

/// Go's `skip`: takes `prefix` off `value`, a run of spaces matching any run of spaces.
/// On failure, what was left of the value.
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return Err(value);
            }
            prefix = trim_spaces(prefix);
            value = trim_spaces(value);
            continue;
        }
        if value.first() != Some(&p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b' ').count();
    &s[n..]
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `v`.
fn zone_name_len(v: &[u8]) -> Option<usize> {
    if v.len() < 3 {
        return None;
    }
    if v.starts_with(b"ChST") || v.starts_with(b"MeST") {
        return Some(4);
    }
    if v.starts_with(b"GMT") {
        return Some(3 + signed_offset_len(&v[3..]));
    }
    if matches!(v[0], b'+' | b'-') {
        return Some(signed_offset_len(v)).filter(|&n| n > 0);
    }
    let upper = v
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        3 => Some(3),
        4 if v[3] == b'T' || v.starts_with(b"WITA") => Some(4),
        5 if v[4] == b'T' => Some(5),
        _ => None,
    }
}

/// Go's `parseSignedOffset`: a sign and an hour up to 23 ("+03"), or 0.
fn signed_offset_len(v: &[u8]) -> usize {
    if !matches!(v.first(), Some(b'+' | b'-')) {
        return 0;
    }
    match leading_int(&v[1..]) {
        Some((x, rest)) if rest.len() < v.len() - 1 && x <= 23 => v.len() - rest.len(),
        _ => 0,
    }
}

/// Builds the time once the whole value is read: Go's checks of the day, then its
/// choice of zone.
fn finish(mut f: Fields, loc: &Zone) -> Result<GoTime, &'static str> {
    if f.pm && f.hour < 12 {
        f.hour += 12;
    } else if f.am && f.hour == 12 {
        f.hour = 0;
    }
    let (month, day) = match f.yday {
        Some(yday) => month_day_of(f.year, yday, f.month, f.day)?,
        None => (f.month.unwrap_or(1), f.day.unwrap_or(1)),
    };
    if day < 1 || day > days_in(month, f.year) {
        return Err(": day out of range");
    }
    let wall =
        days_from_civil(f.year, month, day) * 86_400 + f.hour * 3600 + f.minute * 60 + f.second;
    let at = |secs: i64, zone: Zone| GoTime {
        secs,
        nanos: f.nanos as u32,
        zone,
    };
    if f.utc {
        return Ok(at(wall, Zone::utc()));
    }
    // Go marks "no offset read" with -1, so an offset of -1 second counts as none.
    if let Some(offset) = f.offset.filter(|&o| o != -1) {
        let secs = wall - i64::from(offset);
        // The location's own zone when it has this offset (and name), else a fixed one.
        let name = f.zone_name.unwrap_or_default();
        if offset == loc.offset && (name.is_empty() || name == loc.name) {
            return Ok(at(secs, loc.clone()));
        }
        return Ok(at(
            secs,
            Zone {
                offset,
                name: Cow::Owned(name),
            },
        ));
    }
    if let Some(name) = f.zone_name {
        if name == loc.name {
            return Ok(at(wall - i64::from(loc.offset), loc.clone()));
        }
        // An unknown abbreviation keeps the wall clock, at offset zero (or GMT's hours).
        let offset = match name.strip_prefix("GMT") {
            Some(hours) if !hours.is_empty() => atoi(hours.as_bytes()).unwrap_or(0) as i32 * 3600,
            _ => 0,
        };
        return Ok(at(
            wall,
            Zone {
                offset,
                name: Cow::Owned(name),
            },
        ));
    }
    Ok(at(wall - i64::from(loc.offset), loc.clone()))
}

/// The month and day of day-of-year `yday`, which must agree with a month and day read
/// too.
fn month_day_of(
    year: i64,
    mut yday: i64,
    month: Option<i64>,
    day: Option<i64>,
) -> Result<(i64, i64), &'static str> {
    let mut found = None;
    if is_leap(year) {
        if yday == 31 + 29 {
            found = Some((2, 29));
        } else if yday > 31 + 29 {
            yday -= 1;
        }
    }
    if !(1..=365).contains(&yday) {
        return Err(": day-of-year out of range");
    }
    let (m, d) = found.unwrap_or_else(|| {
        let mut m = (yday - 1) / 31 + 1;
        if days_before(m + 1) < yday {
            m += 1;
        }
        (m, yday - days_before(m))
    });
    if month.is_some_and(|month| month != m) {
        return Err(": day-of-year does not match month");
    }
    if day.is_some_and(|day| day != d) {
        return Err(": day-of-year does not match day");
    }
    Ok((m, d))
}

/// Days before month `m` (1-based; 13 is the whole year) in a year that is not leap.
fn days_before(m: i64) -> i64 {
    const BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
    BEFORE[(m - 1).clamp(0, 12) as usize]
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    if month == 2 && is_leap(year) {
        return 29;
    }
    days_before(month + 1) - days_before(month)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days-from-civil).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `quote` of Go's time package: bytes outside printable ASCII as `\xNN`.
fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..0x80 => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Zone {
        Zone::utc()
    }

    fn parse(layout: &str, value: &str) -> Result<String, String> {
        parse_in_location(layout, value, &local())
            .map(|t| t.go_string())
            .map_err(|e| e.0)
    }

    #[test]
    fn layouts_parse_as_go_parses_them() {
        assert_eq!(
            parse("2006-01-02", "2017-12-31").unwrap(),
            "2017-12-31 00:00:00 +0000 UTC"
        );
        assert_eq!(
            parse("2006-01-02T15:04:05Z07:00", "2017-12-31T10:00:00+02:00").unwrap(),
            "2017-12-31 10:00:00 +0200 +0200"
        );
        assert_eq!(
            parse("02 Jan 06 15:04 MST", "05 feb 99 07:08 PST").unwrap(),
            "1999-02-05 07:08:00 +0000 PST"
        );
        assert_eq!(
            parse("15:04", "10:30").unwrap(),
            "0000-01-01 10:30:00 +0000 UTC"
        );
        assert_eq!(
            parse("2006 002 3:04PM", "2024 060 12:05AM").unwrap(),
            "2024-02-29 00:05:00 +0000 UTC"
        );
        assert_eq!(
            parse("2006-01-02 15:04:05", "2006-01-02 15:04:05.123456789123").unwrap(),
            "2006-01-02 15:04:05.123456789 +0000 UTC"
        );
        assert_eq!(
            parse("Jan _2 MST", "Feb  3 GMT+3").unwrap(),
            "0000-02-03 03:00:00 +0300 GMT+3"
        );
    }

    #[test]
    fn parse_errors_are_worded_as_go_words_them() {
        assert_eq!(
            parse("2006-01-02", "bad").unwrap_err(),
            r#"parsing time "bad" as "2006-01-02": cannot parse "bad" as "2006""#
        );
        assert_eq!(
            parse("2006-01-02", "2017-12-31x").unwrap_err(),
            r#"parsing time "2017-12-31x": extra text: "x""#
        );
        assert_eq!(
            parse("2006-01-02", "2017-13-01").unwrap_err(),
            r#"parsing time "2017-13-01": month out of range"#
        );
        assert_eq!(
            parse("2006-01-02", "2017-02-30").unwrap_err(),
            r#"parsing time "2017-02-30": day out of range"#
        );
        assert_eq!(
            parse("2006-01-02", "2017/01/02").unwrap_err(),
            r#"parsing time "2017/01/02" as "2006-01-02": cannot parse "/01/02" as "-""#
        );
        assert_eq!(
            parse("2006", "é").unwrap_err(),
            r#"parsing time "\xc3\xa9" as "2006": cannot parse "\xc3\xa9" as "2006""#
        );
        // A two-digit element over a character cut in the middle neither panics nor
        // passes.
        assert!(parse("06", "é").is_err());
        assert!(parse("01", "1é").is_err());
    }

    #[test]
    fn formats_with_every_element() {
        let t = GoTime {
            secs: 1_700_000_000,
            nanos: 120_000_000,
            zone: Zone {
                offset: -(3 * 3600 + 30 * 60),
                name: Cow::Borrowed(""),
            },
        };
        assert_eq!(
            format(&t, "Mon Monday Jan January 1 01 2 _2 02 __2 002 06 2006"),
            "Tue Tuesday Nov November 11 11 14 14 14 318 318 23 2023"
        );
        assert_eq!(
            format(
                &t,
                "15 3 03 4 04 5 05 PM pm MST -0700 -07:00 -07 Z07:00:00 .000 ,999 .9"
            ),
            "18 6 06 43 43 20 20 PM pm -0330 -0330 -03:30 -03 -03:30:00 .120 ,12 .1"
        );
        // "Janet" and "Month" are words, "_2006" a literal underscore and the year.
        assert_eq!(format(&t, "Janet Month _2006"), "Janet Month _2023");
        let old = GoTime::utc(days_from_civil(-1, 1, 1) * 86_400, 0);
        assert_eq!(format(&old, "2006-01-02 06"), "-0001-01-01 01");
    }
}
