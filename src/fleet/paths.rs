//! What a safe path is: the one place that decides which names and relative paths
//! from the fleet's files may become folders on disk.
//!
//! A *segment* is one folder or file name. A value that becomes a segment (a cluster's
//! name, env, region, tenant, a label used as a layer) must be safe, or it could climb
//! out of its folder (`..`), reach another (`a/b`), or hide itself (`.strata`).

/// Why `s` is not a safe path segment, or `None` when it is.
pub fn segment_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("is empty")
    } else if s == ".." {
        Some("is `..`, which leads out of its folder")
    } else if s == "." {
        Some("is `.`, the folder itself")
    } else if s.contains(['/', '\\']) {
        Some("contains a path separator (`/` or `\\`)")
    } else if s.starts_with('.') {
        Some("starts with `.` (hidden folders such as .strata are strata's own)")
    } else if s.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// Why `p` is not a safe relative path inside the repository (`/`-separated, no
/// `..`, not absolute, no empty segment), or `None` when it is. A trailing `/` and
/// `.` segments are allowed.
pub fn relative_problem(p: &str) -> Option<&'static str> {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Some("names the repository itself, not a folder inside it");
    }
    if p.starts_with('/') || p.starts_with('\\') || std::path::Path::new(p).is_absolute() {
        return Some("is absolute; give a path relative to the repository");
    }
    if p.contains('\\') {
        return Some("contains `\\`; separate folders with `/`");
    }
    for seg in trimmed.split('/') {
        match seg {
            ".." => return Some("contains `..`, which leads out of the repository"),
            "" => return Some("has an empty folder name (`//`)"),
            _ if seg.chars().any(char::is_control) => return Some("contains a control character"),
            _ => {}
        }
    }
    None
}

/// Why a layout template (`apps/{env}/{cluster}/{app}`) cannot name a folder inside
/// the output, or `None`. Every segment, with each placeholder standing for a safe
/// value, must be a safe segment: placeholder values are checked on their own, so
/// together the expanded layout stays inside the output.
pub fn layout_problem(layout: &str) -> Option<String> {
    if layout.starts_with('/') || std::path::Path::new(layout).is_absolute() {
        return Some("is absolute; a layout is a folder inside the output".into());
    }
    let trimmed = layout.trim_end_matches('/');
    for seg in trimmed.split('/') {
        let shape = fill_placeholders(seg);
        if let Some(why) = segment_problem(&shape) {
            return Some(format!("has a folder '{seg}' that {why}"));
        }
    }
    None
}

/// A layout segment with each `{placeholder}` replaced by a safe stand-in.
fn fill_placeholders(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    let mut rest = seg;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('x');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A generated file name made safe as one segment: separators and control
/// characters become `_`, and `..` becomes `__`. For names strata makes itself
/// (`<kind>-<name>.yaml`), which are never refused.
pub fn sanitize_segment(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .replace("..", "__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        for ok in ["dev", "prod-eu-1", "eu.west", "a..b", "x{y"] {
            assert_eq!(segment_problem(ok), None, "{ok}");
        }
        for bad in [
            "", ".", "..", "../x", "a/b", "a\\b", ".strata", "a\nb", "a\0b",
        ] {
            assert!(segment_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths() {
        for ok in ["rendered", "out/rendered/", "./rendered", ".hidden/x"] {
            assert_eq!(relative_problem(ok), None, "{ok}");
        }
        for bad in ["", ".", "./", "/abs", "../x", "a/../../x", "a//b", "a\\b"] {
            assert!(relative_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn layouts() {
        for ok in [
            "apps/{env}/{cluster}/{app}",
            "{region}/{cluster}/{app}/",
            "{env}-{region}/{cluster}.{app}",
        ] {
            assert_eq!(layout_problem(ok), None, "{ok}");
        }
        for bad in [
            "../../{cluster}/{app}",
            "x/{cluster}/../../../../y/{app}",
            "/abs/{cluster}/{app}",
            "./{cluster}/{app}",
            ".strata/{cluster}/{app}",
            ".{cluster}/{app}",
            "a//{cluster}/{app}",
        ] {
            assert!(layout_problem(bad).is_some(), "{bad}");
        }
    }
}
