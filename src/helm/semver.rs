//! Semantic versions and constraints as Masterminds/semver v3 reads them, for sprig's
//! `semverCompare` (charts ask `semverCompare ">=1.19-0" .Capabilities.KubeVersion.Version`).

use super::gotmpl::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
}

impl Version {
    fn cmp_pre(&self, other: &Version) -> Ordering {
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let a: Vec<&str> = self.pre.split('.').collect();
                let b: Vec<&str> = other.pre.split('.').collect();
                for (x, y) in a.iter().zip(b.iter()) {
                    let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(p), Ok(q)) => p.cmp(&q),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        _ => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| self.cmp_pre(other))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A version; `wild` counts the trailing parts that were `x`, `*` or absent.
fn parse(text: &str) -> Option<(Version, usize)> {
    let t = text.trim().trim_start_matches(['v', 'V']);
    let (core, _build) = t.split_once('+').unwrap_or((t, ""));
    let (nums, pre) = match core.split_once('-') {
        Some((n, p)) => (n, p.to_string()),
        None => (core, String::new()),
    };
    let mut parts = [0u64; 3];
    let mut given = 0;
    for (i, p) in nums.split('.').enumerate() {
        if i >= 3 {
            return None;
        }
        if matches!(p, "x" | "X" | "*") {
            break;
        }
        parts[i] = p.parse().ok()?;
        given = i + 1;
    }
    Some((
        Version {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
            pre,
        },
        3 - given,
    ))
}

fn bump(v: &Version, wild: usize) -> Version {
    match wild {
        3 => Version {
            major: u64::MAX,
            minor: 0,
            patch: 0,
            pre: String::new(),
        },
        2 => Version {
            major: v.major + 1,
            minor: 0,
            patch: 0,
            pre: String::new(),
        },
        _ => Version {
            major: v.major,
            minor: v.minor + 1,
            patch: 0,
            pre: String::new(),
        },
    }
}

fn check(op: &str, c: &Version, wild: usize, v: &Version) -> bool {
    // Prereleases satisfy a constraint only when it names a prerelease itself.
    if !v.pre.is_empty() && c.pre.is_empty() {
        return false;
    }
    match op {
        "" | "=" | "==" => {
            if wild > 0 {
                v >= c && v < &bump(c, wild)
            } else {
                v == c
            }
        }
        "!=" => v != c,
        ">" => {
            if wild > 0 {
                v >= &bump(c, wild)
            } else {
                v > c
            }
        }
        "<" => v < c,
        ">=" => v >= c,
        "<=" => {
            if wild > 0 {
                v < &bump(c, wild)
            } else {
                v <= c
            }
        }
        "~" | "~>" => {
            let upper = if wild >= 2 { bump(c, 2) } else { bump(c, 1) };
            v >= c && v < &upper
        }
        "^" => {
            let upper = if c.major > 0 || wild >= 2 {
                bump(c, 2)
            } else if c.minor > 0 || wild >= 1 {
                bump(c, 1)
            } else {
                Version {
                    major: 0,
                    minor: 0,
                    patch: c.patch + 1,
                    pre: String::new(),
                }
            };
            v >= c && v < &upper
        }
        _ => false,
    }
}

/// Whether `version` satisfies `constraint` (`,` or space = and, `||` = or).
pub fn compare(constraint: &str, version: &str) -> Result<bool, String> {
    let Some((v, _)) = parse(version) else {
        return Err("Invalid Semantic Version".into());
    };
    for alt in constraint.split("||") {
        let alt = alt.trim();
        let mut ok = true;
        // A hyphen range: "1.2 - 1.4.5".
        if let Some((lo, hi)) = alt.split_once(" - ") {
            let (l, _) = parse(lo).ok_or_else(|| format!("improper constraint: {constraint}"))?;
            let (h, hw) = parse(hi).ok_or_else(|| format!("improper constraint: {constraint}"))?;
            if check(">=", &l, 0, &v) && check("<=", &h, hw, &v) {
                return Ok(true);
            }
            continue;
        }
        let normalized = alt.replace(',', " ");
        let mut tokens = normalized.split_whitespace().peekable();
        while let Some(tok) = tokens.next() {
            let op_len = tok
                .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
                .unwrap_or(tok.len());
            let (op, mut ver) = tok.split_at(op_len);
            let joined;
            if ver.is_empty() {
                // "> 1.2": the operator stands apart.
                joined = tokens.next().unwrap_or("").to_string();
                ver = &joined;
            }
            let (c, wild) =
                parse(ver).ok_or_else(|| format!("improper constraint: {constraint}"))?;
            if !check(op, &c, wild, &v) {
                ok = false;
            }
        }
        if ok {
            return Ok(true);
        }
    }
    Ok(false)
}

/// sprig's `semver`: the parts of a version.
pub fn parse_value(text: &str) -> Result<Value, String> {
    let (v, _) = parse(text).ok_or_else(|| "Invalid Semantic Version".to_string())?;
    let mut m = BTreeMap::new();
    m.insert("Major".into(), Value::Int(v.major as i64));
    m.insert("Minor".into(), Value::Int(v.minor as i64));
    m.insert("Patch".into(), Value::Int(v.patch as i64));
    m.insert("Prerelease".into(), Value::str(&v.pre));
    m.insert("Original".into(), Value::str(text));
    Ok(Value::map(m))
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn constraints_charts_use() {
        assert!(compare(">=1.19-0", "v1.36.0").unwrap());
        assert!(compare(">=1.21-0", "v1.20.3-gke.1").is_ok_and(|b| !b));
        assert!(compare("<1.25", "1.24.9").unwrap());
        assert!(compare("~1.2", "1.2.9").unwrap());
        assert!(!compare("^1.2.3", "2.0.0").unwrap());
        assert!(compare(">= 1.2, < 2", "1.5.0").unwrap());
        assert!(compare("1.x || >=3", "3.1.0").unwrap());
    }
}
