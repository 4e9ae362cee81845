//! The part of Go's `net/url` that sprig's `urlParse` and `urlJoin` use: parsing a URL
//! into its parts, and writing parts back as a URL, with Go's escaping and its errors.

use super::gotmpl::funcs::go_quote;

/// A URL's parts as Go's `url.URL` holds them (the path and fragment unescaped).
#[derive(Debug, Default, PartialEq)]
pub struct Url {
    pub scheme: String,
    pub opaque: String,
    pub user: Option<Userinfo>,
    pub host: String,
    pub path: String,
    /// The path as written, when escaping `path` would not give it back.
    raw_path: String,
    /// `//` with an empty authority was left out (`file:/x`).
    omit_host: bool,
    /// A `?` with nothing after it.
    force_query: bool,
    pub raw_query: String,
    pub fragment: String,
    raw_fragment: String,
}

/// `user:password`, unescaped.
#[derive(Debug, PartialEq)]
pub struct Userinfo {
    pub username: String,
    pub password: Option<String>,
}

impl Userinfo {
    /// Go's `Userinfo.String`: escaped again.
    pub fn to_go_string(&self) -> String {
        let mut s = escape(&self.username, Mode::UserPassword);
        if let Some(p) = &self.password {
            s.push(':');
            s.push_str(&escape(p, Mode::UserPassword));
        }
        s
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// Go's `url.Parse`. The error is `url.Error`'s text: `parse "RAW": MESSAGE`.
pub fn parse(raw: &str) -> Result<Url, String> {
    let (u, frag) = raw
        .split_once('#')
        .map_or((raw, None), |(u, f)| (u, Some(f)));
    let wrap = |e: String| format!("parse {}: {e}", go_quote(&redacted(raw)));
    let mut url = parse_without_fragment(u).map_err(wrap)?;
    if let Some(frag) = frag {
        url.fragment = unescape(frag, Mode::Fragment).map_err(wrap)?;
        if escape(&url.fragment, Mode::Fragment) != frag && valid_encoded(frag, Mode::Fragment) {
            url.raw_fragment = frag.to_string();
        }
    }
    Ok(url)
}

/// `raw` with the password of its user info (`scheme://user:PASSWORD@host`) written as
/// `xxxxx`, as Go's `URL.Redacted` writes it: Helm quotes the whole URL in its message,
/// and a URL in values often carries a password.
fn redacted(raw: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return raw.into();
    };
    let authority = &raw[start..];
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    let Some(at) = authority.rfind('@') else {
        return raw.into();
    };
    match authority[..at].find(':') {
        Some(colon) => format!("{}xxxxx{}", &raw[..start + colon + 1], &raw[start + at..]).into(),
        None => raw.into(),
    }
}

fn parse_without_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, rest) = scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // `mailto:x`: no authority, no path.
            url.opaque = rest.to_string();
            return Ok(url);
        }
        // `a:b/c` would read as a scheme: Go refuses it.
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let (authority, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let (user, host) = authority_parts(authority)?;
        url.user = user;
        url.host = host;
        rest = path;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        url.omit_host = true;
    }
    url.path = unescape(rest, Mode::Path)?;
    if escape(&url.path, Mode::Path) != rest && valid_encoded(rest, Mode::Path) {
        url.raw_path = rest.to_string();
    }
    Ok(url)
}

/// The scheme (as written) and the rest; no scheme when a byte that cannot be in one
/// comes before the first `:`.
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => return Ok(("", raw)),
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn authority_parts(authority: &str) -> Result<(Option<Userinfo>, String), String> {
    let Some(at) = authority.rfind('@') else {
        return Ok((None, host(authority)?));
    };
    let host = host(&authority[at + 1..])?;
    let userinfo = &authority[..at];
    if !userinfo
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c))
    {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => Userinfo {
            username: unescape(userinfo, Mode::UserPassword)?,
            password: None,
        },
        Some((name, password)) => Userinfo {
            username: unescape(name, Mode::UserPassword)?,
            password: Some(unescape(password, Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

fn host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[close + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
        // An IPv6 zone (`[fe80::1%25en0]`) has its own escaping.
        if let Some(zone) = host[..close].find("%25") {
            return Ok(unescape(&host[..zone], Mode::Host)?
                + &unescape(&host[zone..close], Mode::Zone)?
                + &unescape(&host[close..], Mode::Host)?);
        }
    } else if let Some(colon) = host.rfind(':') {
        let port = &host[colon..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    }
    unescape(host, Mode::Host)
}

/// Empty, or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()))
}

impl Url {
    /// Go's `URL.Hostname`: the host without its port and IPv6 brackets.
    pub fn hostname(&self) -> &str {
        let mut host = self.host.as_str();
        if let Some(colon) = host.rfind(':') {
            if valid_optional_port(&host[colon..]) {
                host = &host[..colon];
            }
        }
        host.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
    }

    /// Go's `URL.String`.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            // `//` and the authority, unless there is none to write (`file:/x` read
            // without one stays without).
            let no_authority = self.host.is_empty() && self.user.is_none();
            if !no_authority || (!self.scheme.is_empty() && !self.omit_host) {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    out.push_str("//");
                }
                if let Some(user) = &self.user {
                    out.push_str(&user.to_go_string());
                    out.push('@');
                }
                out.push_str(&escape(&self.host, Mode::Host));
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            // A colon in a relative path's first segment would read as a scheme.
            if out.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                out.push_str("./");
            }
            out.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            if !self.raw_fragment.is_empty()
                && unescape(&self.raw_fragment, Mode::Fragment).as_deref() == Ok(&self.fragment)
            {
                out.push_str(&self.raw_fragment);
            } else {
                out.push_str(&escape(&self.fragment, Mode::Fragment));
            }
        }
        out
    }

    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).as_deref() == Ok(&self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".into();
        }
        escape(&self.path, Mode::Path)
    }
}

/// A URL with these parts (sprig's `urlJoin`): the user info is read as Go reads it in
/// `proto://USERINFO@host`.
pub fn join(
    scheme: &str,
    userinfo: &str,
    host: &str,
    path: &str,
    query: &str,
    opaque: &str,
    fragment: &str,
) -> Result<String, String> {
    let user = if userinfo.is_empty() {
        None
    } else {
        parse(&format!("proto://{userinfo}@host"))?.user
    };
    let url = Url {
        scheme: scheme.to_string(),
        opaque: opaque.to_string(),
        user,
        host: host.to_string(),
        path: path.to_string(),
        raw_query: query.to_string(),
        fragment: fragment.to_string(),
        ..Url::default()
    };
    Ok(url.to_go_string())
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                // Reached only for bytes the host modes escape.
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    !(mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*'))
}

fn escape(s: &str, mode: Mode) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push('%');
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 15)] as char);
        } else {
            out.push(c as char);
        }
    }
    out
}

/// Go's `validEncoded`: every byte is one the mode leaves as it is, or a `%`.
fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes().all(|c| match c {
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
        | b'@' | b'[' | b']' => true,
        b'%' => true,
        _ => !should_escape(c, mode),
    })
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `unescape`: `%XX` decoded; a bad escape, or in a host a byte that may not be
/// there, is an error.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    b.get(i + 1).copied().and_then(unhex),
                    b.get(i + 2).copied().and_then(unhex),
                ) else {
                    let bad = String::from_utf8_lossy(&b[i..(i + 3).min(b.len())]);
                    return Err(format!("invalid URL escape {}", go_quote(&bad)));
                };
                // Only `%25` (and, in a zone, non-ASCII) may be escaped in a host.
                let escaped = &s[i..i + 3];
                if mode == Mode::Host && hi < 8 && escaped != "%25" {
                    return Err(format!("invalid URL escape {}", go_quote(escaped)));
                }
                if mode == Mode::Zone {
                    let v = hi << 4 | lo;
                    if escaped != "%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!("invalid URL escape {}", go_quote(escaped)));
                    }
                }
                out.push(hi << 4 | lo);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&s[i..i + 1])
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_as_go_reads_them() {
        let u = parse("https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%21").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(u.hostname(), "example.com");
        assert_eq!(u.path, "/a b/c");
        assert_eq!(u.raw_query, "x=1&y=2");
        assert_eq!(u.fragment, "frag!");
        assert_eq!(u.user.as_ref().unwrap().to_go_string(), "user:p%40ss");
        let u = parse("mailto:someone@example.com").unwrap();
        assert_eq!(u.opaque, "someone@example.com");
        assert_eq!(
            parse("[::1]:80").unwrap_err(),
            "parse \"[::1]:80\": first path segment in URL cannot contain colon"
        );
    }

    #[test]
    fn errors_as_go_words_them() {
        assert_eq!(
            parse("http://host:port/").unwrap_err(),
            "parse \"http://host:port/\": invalid port \":port\" after host"
        );
        assert_eq!(
            parse("://x").unwrap_err(),
            "parse \"://x\": missing protocol scheme"
        );
        assert_eq!(
            parse("http://x/%zz").unwrap_err(),
            "parse \"http://x/%zz\": invalid URL escape \"%zz\""
        );
        // A password is never quoted back.
        assert_eq!(
            parse("redis://:s3cret@redis:port/0").unwrap_err(),
            "parse \"redis://:xxxxx@redis:port/0\": invalid port \":port\" after host"
        );
        assert_eq!(
            parse("http://a b/").unwrap_err(),
            "parse \"http://a b/\": invalid character \" \" in host name"
        );
    }

    #[test]
    fn written_back_as_go_writes_them() {
        for raw in [
            "https://user:p%40ss@example.com:8443/a%20b/c?x=1#frag",
            "mailto:someone@example.com",
            "file:///etc/hosts",
            "file:/etc/hosts",
            "/relative/path?q",
            "http://[fe80::1%25en0]:8080/",
            "http://x/a%2Fb",
        ] {
            assert_eq!(parse(raw).unwrap().to_go_string(), raw, "{raw}");
        }
        assert_eq!(
            join("https", "a%20b:c", "h:1", "/p q", "x=1", "", "f g").unwrap(),
            "https://a%20b:c@h:1/p%20q?x=1#f%20g"
        );
    }
}
