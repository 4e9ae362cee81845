//! sprig's date functions (`date`, `dateInZone`, `unixEpoch`, `dateModify`, `duration`, ...)
//! over the Go `time.Time` that `now` returns. strata's `now` is the Unix epoch (see
//! `nondeterministic`), and every zone is UTC: strata carries no time zone database.

use super::gotmpl::funcs::{arity, fail, Funcs};
use super::gotmpl::value::Object;
use super::gotmpl::Value;
use serde_json::Value as Json;
use std::rc::Rc;

/// A Go `time.Time` in UTC: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub struct GoTime {
    pub secs: i64,
    pub nanos: u32,
}

impl GoTime {
    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    fn civil(self) -> Civil {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const STARTS: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let yday = STARTS[(month - 1) as usize] + day + i64::from(leap && month > 2);
        Civil {
            year,
            month,
            day,
            yday,
            weekday: (days + 4).rem_euclid(7), // 1970-01-01 was a Thursday
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
            nanos: self.nanos,
        }
    }
}

struct Civil {
    year: i64,
    month: i64,
    day: i64,
    yday: i64,
    weekday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: u32,
}

const MONTHS: [&str; 12] = [
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
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = self.civil();
        Some(match name {
            "Unix" => Value::Int(self.secs),
            "UnixMilli" => Value::Int(self.secs * 1000 + i64::from(self.nanos / 1_000_000)),
            "UnixNano" => Value::Int(self.secs * 1_000_000_000 + i64::from(self.nanos)),
            "Year" => Value::Int(c.year),
            "Day" => Value::Int(c.day),
            "Hour" => Value::Int(c.hour),
            "Minute" => Value::Int(c.minute),
            "Second" => Value::Int(c.second),
            "YearDay" => Value::Int(c.yday),
            "String" => Value::str(self.print()),
            "UTC" | "Local" => self.value(),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (name, args) {
            ("Format", [Value::String(layout)]) => Some(Ok(Value::str(format(*self, layout)))),
            _ => None,
        }
    }

    /// Go's `Time.String()`.
    fn print(&self) -> String {
        format(*self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// encoding/json: RFC 3339 with nanoseconds.
    fn to_json(&self) -> Json {
        Json::String(format(*self, "2006-01-02T15:04:05.999999999Z07:00"))
    }
}

/// Go's `Time.Format` with a reference layout (`2006-01-02T15:04:05Z07:00`), in UTC.
pub fn format(t: GoTime, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::with_capacity(layout.len() + 8);
    let b = layout.as_bytes();
    let mut i = 0;
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    while i < b.len() {
        let (text, len): (String, usize) = match b[i] {
            b'J' if starts(i, "January") => (MONTHS[(c.month - 1) as usize].into(), 7),
            b'J' if starts(i, "Jan") => (MONTHS[(c.month - 1) as usize][..3].into(), 3),
            b'M' if starts(i, "Monday") => (DAYS[c.weekday as usize].into(), 6),
            b'M' if starts(i, "Mon") => (DAYS[c.weekday as usize][..3].into(), 3),
            b'M' if starts(i, "MST") => ("UTC".into(), 3),
            b'0' if starts(i, "002") => (format!("{:03}", c.yday), 3),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => (
                match b[i + 1] {
                    b'1' => format!("{:02}", c.month),
                    b'2' => format!("{:02}", c.day),
                    b'3' => format!("{:02}", twelve(c.hour)),
                    b'4' => format!("{:02}", c.minute),
                    b'5' => format!("{:02}", c.second),
                    _ => format!("{:02}", c.year.rem_euclid(100)),
                },
                2,
            ),
            b'1' if starts(i, "15") => (format!("{:02}", c.hour), 2),
            b'1' => (c.month.to_string(), 1),
            b'2' if starts(i, "2006") => (format!("{:04}", c.year), 4),
            b'2' => (c.day.to_string(), 1),
            b'_' if starts(i, "__2") => (format!("{:>3}", c.yday), 3),
            b'_' if starts(i, "_2") && !starts(i, "_2006") => (format!("{:>2}", c.day), 2),
            b'3' => (twelve(c.hour).to_string(), 1),
            b'4' => (c.minute.to_string(), 1),
            b'5' => (c.second.to_string(), 1),
            b'P' if starts(i, "PM") => (if c.hour >= 12 { "PM" } else { "AM" }.into(), 2),
            b'p' if starts(i, "pm") => (if c.hour >= 12 { "pm" } else { "am" }.into(), 2),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let zone = ["070000", "07:00:00", "0700", "07:00", "07"]
                    .into_iter()
                    .find(|p| starts(i + 1, p));
                match zone {
                    Some(p) if z => ("Z".into(), p.len() + 1),
                    Some(p) => {
                        let digits: String = p
                            .chars()
                            .map(|ch| if ch == ':' { ':' } else { '0' })
                            .collect();
                        (format!("+{digits}"), p.len() + 1)
                    }
                    None => ((b[i] as char).to_string(), 1),
                }
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let digit = b[i + 1];
                let n = b[i + 1..].iter().take_while(|&&d| d == digit).count();
                if b.get(i + 1 + n).is_some_and(u8::is_ascii_digit) {
                    ((b[i] as char).to_string(), 1)
                } else {
                    let frac = format!("{:09}", c.nanos);
                    let mut f = frac[..n.min(9)].to_string();
                    if digit == b'9' {
                        f = f.trim_end_matches('0').to_string();
                    }
                    let text = if f.is_empty() {
                        String::new()
                    } else {
                        format!("{}{f}", b[i] as char)
                    };
                    (text, n + 1)
                }
            }
            _ => {
                let ch = layout[i..].chars().next().unwrap_or(' ');
                (ch.to_string(), ch.len_utf8())
            }
        };
        out.push_str(&text);
        i += len;
    }
    out
}

fn twelve(hour: i64) -> i64 {
    match hour % 12 {
        0 => 12,
        h => h,
    }
}

/// The time a date function's `date` argument names: a time, or Unix seconds given as a
/// Go int; anything else is `time.Now()` (strata's epoch).
fn time_of(v: &Value) -> GoTime {
    match v {
        Value::Int(s) => GoTime { secs: *s, nanos: 0 },
        Value::Object(o) if o.type_name() == "time.Time" => {
            let int = |name: &str| match o.field(name) {
                Some(Value::Int(i)) => i,
                _ => 0,
            };
            GoTime {
                secs: int("Unix"),
                nanos: int("UnixNano").rem_euclid(1_000_000_000) as u32,
            }
        }
        _ => GoTime { secs: 0, nanos: 0 },
    }
}

fn text(v: &Value) -> String {
    super::sprig::to_string(v)
}

/// Go's `time.ParseDuration` ("+10m", "1h30m", "-1.5h", "300ms").
pub fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    let total = total.round() as i128;
    Some(if neg { -total } else { total })
}

/// Go's `Duration.String()` ("1h2m3s", "0s", "1.5s").
pub fn duration_string(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = match u {
            0..1_000 => ("ns", 1u128),
            1_000..1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let secs = u / 1_000_000_000;
        let (h, m) = (secs / 3600, secs % 3600 / 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

fn frac(v: u128, div: u128) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Registers the date functions (`now` itself is in `nondeterministic`).
/// sprig's `durationRound`: the largest whole unit (`y` of 365 days, `mo` of 30, `d`,
/// `h`, `m`, `s`) the duration exceeds, its sign dropped; "0s" under a second.
fn duration_round(nanos: i128) -> String {
    // Go works on the duration as a uint64: a negative one is negated in 64 bits.
    let u = (nanos as i64).unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    const UNITS: [(u64, &str); 6] = [
        (SECOND * 3600 * 24 * 365, "y"),
        (SECOND * 3600 * 24 * 30, "mo"),
        (SECOND * 3600 * 24, "d"),
        (SECOND * 3600, "h"),
        (SECOND * 60, "m"),
        (SECOND, "s"),
    ];
    UNITS.iter().find(|(unit, _)| u > *unit).map_or_else(
        || "0s".to_string(),
        |(unit, name)| format!("{}{name}", u / unit),
    )
}

pub fn register(f: &mut Funcs) {
    f.insert("durationRound", |_, a| {
        arity("durationRound", a, 1)?;
        // sprig: a duration string, an int64 of nanoseconds, or the time since a time
        // (strata's now is the epoch); anything else is no time at all.
        let nanos: i128 = match &a[0] {
            Value::String(s) => parse_duration(s).unwrap_or(0),
            Value::Int(n) => i128::from(*n),
            Value::Object(o) if o.type_name() == "time.Time" => {
                let t = time_of(&a[0]);
                -(i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos))
            }
            _ => 0,
        };
        Ok(Value::str(duration_round(nanos)))
    });
    fn in_zone(layout: &str, date: &Value) -> Value {
        Value::str(format(time_of(date), layout))
    }
    f.insert("date", |_, a| {
        arity("date", a, 2)?;
        Ok(in_zone(&text(&a[0]), &a[1]))
    });
    for name in ["dateInZone", "date_in_zone"] {
        f.insert(name, |_, a| {
            arity("dateInZone", a, 3)?;
            Ok(in_zone(&text(&a[0]), &a[1]))
        });
    }
    f.insert("htmlDate", |_, a| {
        arity("htmlDate", a, 1)?;
        Ok(in_zone("2006-01-02", &a[0]))
    });
    f.insert("htmlDateInZone", |_, a| {
        arity("htmlDateInZone", a, 2)?;
        Ok(in_zone("2006-01-02", &a[0]))
    });
    f.insert("unixEpoch", |_, a| {
        arity("unixEpoch", a, 1)?;
        Ok(Value::str(time_of(&a[0]).secs.to_string()))
    });
    fn modify(a: &[Value], must: bool) -> Result<Value, super::gotmpl::funcs::FuncError> {
        arity(if must { "mustDateModify" } else { "dateModify" }, a, 2)?;
        let t = time_of(&a[1]);
        let Some(d) = parse_duration(&text(&a[0])) else {
            return if must {
                fail(format!(
                    "time: invalid duration {}",
                    super::gotmpl::funcs::go_quote(&text(&a[0]))
                ))
            } else {
                Ok(t.value())
            };
        };
        let total = i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos) + d;
        Ok(GoTime {
            secs: total.div_euclid(1_000_000_000) as i64,
            nanos: total.rem_euclid(1_000_000_000) as u32,
        }
        .value())
    }
    for name in ["dateModify", "date_modify"] {
        f.insert(name, |_, a| modify(a, false));
    }
    for name in ["mustDateModify", "must_date_modify"] {
        f.insert(name, |_, a| modify(a, true));
    }
    f.insert("duration", |_, a| {
        arity("duration", a, 1)?;
        // sprig reads a string or an int64; a template's int literal and a values
        // number (float64) are 0. (strata cannot tell Go's int64 results from ints.)
        let secs = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            _ => 0,
        };
        Ok(Value::str(duration_string(
            i128::from(secs) * 1_000_000_000,
        )))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_with_go_layouts() {
        let t = GoTime {
            secs: 1_700_000_000,
            nanos: 120_000_000,
        };
        assert_eq!(
            format(t, "2006-01-02T15:04:05Z07:00"),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            format(t, "Mon Jan _2 3:4:5 PM -0700 MST .000 .999 002"),
            "Tue Nov 14 10:13:20 PM +0000 UTC .120 .12 318"
        );
        assert_eq!(
            GoTime { secs: 0, nanos: 0 }.print(),
            "1970-01-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            format(GoTime { secs: -1, nanos: 0 }, "2006-01-02 15:04:05"),
            "1969-12-31 23:59:59"
        );
    }

    #[test]
    fn durations_parse_and_print_as_go_does() {
        assert_eq!(parse_duration("+10m"), Some(600_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Some(-5_400_000_000_000));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(duration_string(3_723_000_000_000), "1h2m3s");
        assert_eq!(duration_string(60_000_000_000), "1m0s");
        assert_eq!(duration_string(1_500_000_000), "1.5s");
        assert_eq!(duration_string(0), "0s");
        let mut f = Funcs::default();
        register(&mut f);
        let dur = f.get("duration").copied().unwrap();
        let set = super::super::gotmpl::exec::TemplateSet::new(Funcs::default());
        let mut e = super::super::gotmpl::exec::Exec::new(&set, "t");
        assert_eq!(
            dur(&mut e, &[Value::str("95")]).unwrap().to_go_string(),
            "1m35s"
        );
        assert_eq!(dur(&mut e, &[Value::Int(95)]).unwrap().to_go_string(), "0s");
    }
}
