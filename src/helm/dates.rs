//! sprig's date functions (`date`, `dateInZone`, `unixEpoch`, `dateModify`, `toDate`,
//! `ago`, `duration`, ...) over Go's `time.Time`. strata's `now` is the Unix epoch (see
//! `nondeterministic`), so `ago` measures to it, and every named zone is UTC: strata
//! carries no time zone database. A time keeps the fixed zone a parse gave it ("+02:00"),
//! as Go's does; Go's layouts are in `layout`.

use super::gotmpl::funcs::{arity, fail, FuncError, Funcs};
use super::gotmpl::value::Object;
use super::gotmpl::Value;
pub use super::layout::format;
use serde_json::Value as Json;
use std::borrow::Cow;
use std::rc::Rc;

/// A Go `time.Time`: an instant (seconds and nanoseconds since the Unix epoch) and the
/// zone it is shown in.
#[derive(Debug, Clone)]
pub struct GoTime {
    pub secs: i64,
    pub nanos: u32,
    pub zone: Zone,
}

/// A Go `*time.Location` as strata has them: `Local` and `UTC` (both UTC, named "UTC"),
/// and the fixed zones parsing makes (`+02:00` gives an unnamed zone, which prints as
/// "+0200"; an unknown abbreviation keeps its name at offset zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Seconds east of UTC.
    pub offset: i32,
    pub name: Cow<'static, str>,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            offset: 0,
            name: Cow::Borrowed("UTC"),
        }
    }
}

/// Go's zero `time.Time` (0001-01-01 00:00:00 UTC): what `toDate` gives for a value
/// that does not parse.
const ZERO_TIME_SECS: i64 = -62_135_596_800;

impl GoTime {
    pub fn utc(secs: i64, nanos: u32) -> GoTime {
        GoTime {
            secs,
            nanos,
            zone: Zone::utc(),
        }
    }

    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    /// The same instant in UTC (Go's `t.In(time.UTC)`, and `In(Local)` here).
    pub fn in_utc(&self) -> GoTime {
        GoTime::utc(self.secs, self.nanos)
    }

    /// Go's `Time.String()`.
    pub fn go_string(&self) -> String {
        format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// The calendar fields of the wall clock in the time's zone.
    pub(super) fn civil(&self) -> Civil {
        let local = self.secs.saturating_add(i64::from(self.zone.offset));
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
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
        }
    }

    /// Why Go's `MarshalJSON` (strict RFC 3339) refuses the time, if it does.
    pub fn rfc3339_error(&self) -> Option<&'static str> {
        if !(0..=9999).contains(&self.civil().year) {
            return Some("year outside of range [0,9999]");
        }
        if (self.zone.offset / 60).abs() / 60 >= 24 {
            return Some("timezone hour outside of range [0,23]");
        }
        None
    }

    /// Nanoseconds since the epoch, exactly.
    fn unix_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// The time `nanos` from the epoch, in `zone` (Go's `Add` keeps the location).
    fn from_unix_nanos(nanos: i128, zone: Zone) -> GoTime {
        GoTime {
            secs: nanos.div_euclid(1_000_000_000) as i64,
            nanos: nanos.rem_euclid(1_000_000_000) as u32,
            zone,
        }
    }
}

pub(super) struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub yday: i64,
    pub weekday: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = self.civil();
        // Go computes UnixMilli and UnixNano in int64 and lets them wrap.
        let scaled = |by: i64, frac: u32| self.secs.wrapping_mul(by).wrapping_add(i64::from(frac));
        Some(match name {
            "Unix" => Value::Int(self.secs),
            "UnixMilli" => Value::Int(scaled(1000, self.nanos / 1_000_000)),
            "UnixNano" => Value::Int(scaled(1_000_000_000, self.nanos)),
            "Year" => Value::Int(c.year),
            "Day" => Value::Int(c.day),
            "Hour" => Value::Int(c.hour),
            "Minute" => Value::Int(c.minute),
            "Second" => Value::Int(c.second),
            "Nanosecond" => Value::Int(i64::from(self.nanos)),
            "YearDay" => Value::Int(c.yday),
            "IsZero" => Value::Bool(self.secs == ZERO_TIME_SECS && self.nanos == 0),
            "String" => Value::str(self.go_string()),
            "UTC" | "Local" => self.in_utc().value(),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (name, args) {
            ("Format", [Value::String(layout)]) => Some(Ok(Value::str(format(self, layout)))),
            _ => None,
        }
    }

    fn print(&self) -> String {
        self.go_string()
    }

    /// encoding/json: RFC 3339 with nanoseconds, in the time's zone.
    fn to_json(&self) -> Json {
        Json::String(format(self, "2006-01-02T15:04:05.999999999Z07:00"))
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The time a date function's `date` argument names: a time, or Unix seconds given as a
/// Go int; anything else is `time.Now()` (strata's epoch).
fn time_of(v: &Value) -> GoTime {
    match v {
        Value::Int(s) => GoTime::utc(*s, 0),
        Value::Object(o) => o
            .as_any()
            .and_then(|a| a.downcast_ref::<GoTime>())
            .cloned()
            .unwrap_or_else(|| GoTime::utc(0, 0)),
        _ => GoTime::utc(0, 0),
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
            Value::Object(o) if o.type_name() == "time.Time" => -time_of(&a[0]).unix_nanos(),
            _ => 0,
        };
        Ok(Value::str(duration_round(nanos)))
    });
    // sprig shows the time in the zone asked for; every zone is UTC here.
    fn in_zone(layout: &str, date: &Value) -> Value {
        Value::str(format(&time_of(date).in_utc(), layout))
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
    fn modify(a: &[Value], must: bool) -> Result<Value, FuncError> {
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
        Ok(GoTime::from_unix_nanos(t.unix_nanos() + d, t.zone).value())
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
    fn to_date(a: &[Value], must: bool) -> Result<Value, FuncError> {
        arity(if must { "mustToDate" } else { "toDate" }, a, 2)?;
        // sprig: time.ParseInLocation(layout, value, time.Local); toDate drops the error
        // and gives Go's zero time.
        match super::layout::parse_in_location(&text(&a[0]), &text(&a[1]), &Zone::utc()) {
            Ok(t) => Ok(t.value()),
            Err(e) if must => fail(e.0),
            Err(_) => Ok(GoTime::utc(ZERO_TIME_SECS, 0).value()),
        }
    }
    f.insert("toDate", |_, a| to_date(a, false));
    f.insert("mustToDate", |_, a| to_date(a, true));
    f.insert("ago", |e, a| {
        arity("ago", a, 1)?;
        // It reads the clock, as `now` does.
        super::nondeterministic::warn(e, "ago");
        Ok(Value::str(ago(&time_of(&a[0]))))
    });
}

/// sprig's `ago`: `time.Since(t).Round(time.Second)`, now being the epoch. Go's `Sub`
/// saturates at the largest durations (292 years either way).
fn ago(t: &GoTime) -> String {
    let since = (-t.unix_nanos()).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    duration_string(i128::from(round_duration(since, 1_000_000_000)))
}

/// Go's `Duration.Round`: halves away from zero, saturating where it would overflow.
fn round_duration(d: i64, m: i64) -> i64 {
    let r = (d % m).abs();
    let less_than_half = r + r < m;
    let rounded = match (d < 0, less_than_half) {
        (false, true) => i128::from(d) - i128::from(r),
        (false, false) => i128::from(d) + i128::from(m - r),
        (true, true) => i128::from(d) + i128::from(r),
        (true, false) => i128::from(d) - i128::from(m - r),
    };
    rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_with_go_layouts() {
        let t = GoTime::utc(1_700_000_000, 120_000_000);
        assert_eq!(
            format(&t, "2006-01-02T15:04:05Z07:00"),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            format(&t, "Mon Jan _2 3:4:5 PM -0700 MST .000 .999 002"),
            "Tue Nov 14 10:13:20 PM +0000 UTC .120 .12 318"
        );
        assert_eq!(GoTime::utc(0, 0).print(), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            format(&GoTime::utc(-1, 0), "2006-01-02 15:04:05"),
            "1969-12-31 23:59:59"
        );
        // Years before the epoch, down to Go's zero time.
        assert_eq!(
            GoTime::utc(ZERO_TIME_SECS, 0).print(),
            "0001-01-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            format(
                &GoTime::utc(-1_000_000_000, 0),
                "Monday 2006-01-02 15:04:05"
            ),
            "Sunday 1938-04-24 22:13:20"
        );
    }

    #[test]
    fn ago_is_the_time_since_the_epoch_rounded_to_seconds() {
        assert_eq!(ago(&GoTime::utc(0, 0)), "0s");
        assert_eq!(ago(&GoTime::utc(-3_723, 500_000_000)), "1h2m3s");
        assert_eq!(ago(&GoTime::utc(-3_723, 500_000_001)), "1h2m2s");
        // A time after now is a negative duration; halves round away from zero.
        assert_eq!(ago(&GoTime::utc(90, 0)), "-1m30s");
        assert_eq!(ago(&GoTime::utc(1, 500_000_000)), "-2s");
        assert_eq!(ago(&GoTime::utc(1, 499_999_999)), "-1s");
        // Go's zero time (year 1) is further back than a Duration reaches: Sub saturates.
        assert_eq!(
            ago(&GoTime::utc(ZERO_TIME_SECS, 0)),
            "2562047h47m16.854775807s"
        );
        assert_eq!(ago(&GoTime::utc(i64::MAX, 0)), "-2562047h47m16.854775808s");
    }

    #[test]
    fn ago_reads_times_and_unix_seconds_and_warns_as_now_does() {
        let mut set = super::super::gotmpl::exec::TemplateSet::new(super::super::funcs::all());
        set.add(
            "c/t.yaml",
            "{{ ago -86400 }} {{ ago (toDate \"2006-01-02\" \"1969-12-31\") }}\n{{ ago \"x\" }} {{ ago now }} {{ ago 1.5 }}",
        )
        .unwrap();
        let mut e = super::super::gotmpl::exec::Exec::new(&set, "c/t.yaml");
        let mut out = String::new();
        e.run_named("c/t.yaml", &Value::Nil, &mut out, None)
            .unwrap();
        assert_eq!(out, "24h0m0s 24h0m0s\n0s 0s 0s");
        assert!(
            e.warnings[0].starts_with("c/t.yaml:1: ago gives a different value on every run"),
            "{:?}",
            e.warnings
        );
        assert_eq!(
            e.warnings.iter().filter(|w| w.contains(": ago ")).count(),
            5
        );
    }

    #[test]
    fn to_date_gives_the_zero_time_and_must_to_date_the_error() {
        let set = |src: &str| {
            let mut set = super::super::gotmpl::exec::TemplateSet::new(super::super::funcs::all());
            set.add("t", src).unwrap();
            set.execute("t", &Value::Nil).map_err(|e| e.message)
        };
        assert_eq!(
            set("{{ toDate \"2006-01-02\" \"bad\" }} {{ (toDate \"2006\" \"x\").IsZero }}")
                .unwrap(),
            "0001-01-01 00:00:00 +0000 UTC true"
        );
        assert_eq!(
            set("{{ mustToDate \"2006-01-02\" \"bad\" }}").unwrap_err(),
            "template: t:1:3: executing \"t\" at <mustToDate \"2006-01-02\" \"bad\">: error calling mustToDate: parsing time \"bad\" as \"2006-01-02\": cannot parse \"bad\" as \"2006\""
        );
        // The parsed offset stays the time's zone; date functions show UTC.
        assert_eq!(
            set("{{ $t := toDate \"2006-01-02T15:04Z07:00\" \"1960-06-01T10:00+02:00\" }}{{ $t }}|{{ $t.Unix }}|{{ date \"15:04 MST\" $t }}|{{ $t | dateModify \"1h\" }}|{{ $t | toJson }}").unwrap(),
            "1960-06-01 10:00:00 +0200 +0200|-302457600|08:00 UTC|1960-06-01 11:00:00 +0200 +0200|\"1960-06-01T10:00:00+02:00\""
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
