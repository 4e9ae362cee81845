//! sprig's functions whose output changes on every call in Helm (`randAlphaNum`,
//! `uuidv4`, `now`, `genCA`, `genPrivateKey`, `encryptAES`, `bcrypt`, ...). A hydrated
//! tree that changes on every render defeats `render --check`, so strata draws every
//! random byte from a ChaCha20 stream seeded by the release, the template being
//! rendered and the call site (stable across runs and machines) and warns, naming the
//! template and line.

use super::chart::Chart;
use super::crypto::{self, CertPair, CertSpec, Key};
use super::gotmpl::exec::Exec;
use super::gotmpl::funcs::{arity, fail, FuncError, Funcs};
use super::gotmpl::parse;
use super::gotmpl::value::Object;
use super::gotmpl::Value;
use crate::memo::ByContent;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use std::rc::Rc;
use std::sync::LazyLock;

/// Every function whose output Helm draws at random, which strata seeds (and
/// `validate`'s `helm/non-deterministic` rule reports).
pub const FUNCTIONS: &[&str] = &[
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
    "randAscii",
    "randBytes",
    "randInt",
    "shuffle",
    "uuidv4",
    "now",
    "ago",
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "bcrypt",
    "htpasswd",
];

/// A call of one of [`FUNCTIONS`] written in a chart's template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallSite {
    /// The template file in the repository (`apps/web/base/templates/secret.yaml`).
    pub file: String,
    pub line: u32,
    pub function: &'static str,
}

/// Every call of a function whose output Helm draws at random in the templates of
/// `chart` and its subcharts, whether or not the values make it run; templates that do
/// not parse are left to the render, which reports them.
pub fn call_sites(chart: &Chart) -> Vec<CallSite> {
    let mut out = Vec::new();
    let dir = match chart.source.strip_suffix("Chart.yaml") {
        Some(dir) => dir.to_string(),
        None => format!("{}/", chart.source),
    };
    for (path, text) in chart.templates.iter() {
        // The render's parse, kept by content: validate renders the same chart.
        let Ok(parsed) = crate::helm::render::parse_template(path, text) else {
            continue;
        };
        let file = format!("{dir}{path}");
        parse::functions_named(&parsed, &mut |pos, name| {
            if let Some(function) = FUNCTIONS.iter().find(|f| **f == name) {
                out.push(CallSite {
                    file: file.clone(),
                    line: pos.line,
                    function,
                })
            }
        });
    }
    for dep in &chart.dependencies {
        out.extend(call_sites(dep));
    }
    out.sort();
    out.dedup();
    out
}

/// Functions that make keys or certificates: their warning says what a derived key means.
fn makes_keys(name: &str) -> bool {
    name.starts_with("gen")
}

/// Registers the seeded replacements and sprig's deterministic crypto functions.
pub fn register(f: &mut Funcs) {
    f.insert("randAlphaNum", |e, a| {
        rand_from(
            e,
            a,
            "randAlphaNum",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        )
    });
    f.insert("randAlpha", |e, a| {
        rand_from(
            e,
            a,
            "randAlpha",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        )
    });
    f.insert("randNumeric", |e, a| {
        rand_from(e, a, "randNumeric", b"0123456789")
    });
    f.insert("randAscii", |e, a| {
        let printable: Vec<u8> = (32u8..127).collect();
        rand_from(e, a, "randAscii", &printable)
    });
    f.insert("randBytes", |e, a| {
        arity("randBytes", a, 1)?;
        let n = super::sprig::to_i64(&a[0]);
        if n < 0 {
            return fail("runtime error: makeslice: len out of range");
        }
        let mut rng = seeded(e, "randBytes");
        let mut b = vec![0u8; n as usize];
        rng.fill_bytes(&mut b);
        use base64::Engine as _;
        Ok(Value::str(
            base64::engine::general_purpose::STANDARD.encode(b),
        ))
    });
    f.insert("randInt", |e, a| {
        arity("randInt", a, 2)?;
        let (min, max) = (super::sprig::to_i64(&a[0]), super::sprig::to_i64(&a[1]));
        let Some(n) = max.checked_sub(min).filter(|n| *n > 0) else {
            return fail("invalid argument to Intn");
        };
        let mut rng = seeded(e, "randInt");
        Ok(Value::Int(min + uniform(&mut rng, n as u64) as i64))
    });
    // sprig's `shuffle`: the characters in a random order (Fisher-Yates).
    f.insert("shuffle", |e, a| {
        arity("shuffle", a, 1)?;
        let mut chars: Vec<char> = a[0].to_go_string().chars().collect();
        let mut rng = seeded(e, "shuffle");
        for i in (1..chars.len()).rev() {
            chars.swap(i, uniform(&mut rng, i as u64 + 1) as usize);
        }
        Ok(Value::str(chars.into_iter().collect::<String>()))
    });
    f.insert("uuidv4", |e, a| {
        arity("uuidv4", a, 0)?;
        let mut b = [0u8; 16];
        seeded(e, "uuidv4").fill_bytes(&mut b);
        // Version 4 and variant 10, as RFC 4122 random UUIDs carry.
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Ok(Value::str(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )))
    });
    f.insert("now", |e, a| {
        arity("now", a, 0)?;
        warn(e, "now");
        Ok(super::dates::GoTime::utc(0, 0).value())
    });
    f.insert("genPrivateKey", |e, a| {
        arity("genPrivateKey", a, 1)?;
        let kind = text(&a[0]);
        let seed = call_seed(e, "genPrivateKey");
        // sprig prints its failures as the output.
        Ok(Value::str(
            match key(&seed, Some(&kind)).and_then(|k| crypto::key_pem(&k)) {
                Ok(pem) => pem,
                Err(msg) if msg.starts_with("Unknown type") => msg,
                Err(msg) => format!("failed to generate private key: {msg}"),
            },
        ))
    });
    f.insert("genCA", |e, a| {
        arity("genCA", a, 2)?;
        let seed = call_seed(e, "genCA");
        let key = key(&seed, None).or_else(fail)?;
        ca(&a[0], &key, &seed)
    });
    f.insert("genCAWithKey", |e, a| {
        arity("genCAWithKey", a, 3)?;
        let seed = call_seed(e, "genCAWithKey");
        let key = pem_key(&a[2])?;
        ca(&a[0], &key, &seed)
    });
    f.insert("genSelfSignedCert", |e, a| {
        arity("genSelfSignedCert", a, 4)?;
        let seed = call_seed(e, "genSelfSignedCert");
        let key = key(&seed, None).or_else(fail)?;
        leaf(&a[0], &a[1], &a[2], &key, None, &seed)
    });
    f.insert("genSelfSignedCertWithKey", |e, a| {
        arity("genSelfSignedCertWithKey", a, 5)?;
        let seed = call_seed(e, "genSelfSignedCertWithKey");
        let key = pem_key(&a[4])?;
        leaf(&a[0], &a[1], &a[2], &key, None, &seed)
    });
    f.insert("genSignedCert", |e, a| {
        arity("genSignedCert", a, 5)?;
        let ca = cert_arg(&a[4])?;
        let seed = call_seed(e, "genSignedCert");
        let key = key(&seed, None).or_else(fail)?;
        leaf(&a[0], &a[1], &a[2], &key, Some(&ca), &seed)
    });
    f.insert("genSignedCertWithKey", |e, a| {
        arity("genSignedCertWithKey", a, 6)?;
        let ca = cert_arg(&a[4])?;
        let seed = call_seed(e, "genSignedCertWithKey");
        let key = pem_key(&a[5])?;
        leaf(&a[0], &a[1], &a[2], &key, Some(&ca), &seed)
    });
    f.insert("buildCustomCert", |_, a| {
        arity("buildCustomCert", a, 2)?;
        crypto::build_custom(&text(&a[0]), &text(&a[1]))
            .map(certificate_value)
            .or_else(fail)
    });
    f.insert("derivePassword", |_, a| {
        arity("derivePassword", a, 5)?;
        Ok(Value::str(crypto::derive_password(
            super::sprig::to_i64(&a[0]) as u32,
            &text(&a[1]),
            &text(&a[2]),
            &text(&a[3]),
            &text(&a[4]),
        )))
    });
    f.insert("encryptAES", |e, a| {
        arity("encryptAES", a, 2)?;
        let mut rng = seeded(e, "encryptAES");
        Ok(Value::str(crypto::encrypt_aes(
            &text(&a[0]),
            &text(&a[1]),
            &mut rng,
        )))
    });
    f.insert("decryptAES", |_, a| {
        arity("decryptAES", a, 2)?;
        crypto::decrypt_aes(&text(&a[0]), &text(&a[1]))
            .map(Value::str)
            .or_else(fail)
    });
    f.insert("bcrypt", |e, a| {
        arity("bcrypt", a, 1)?;
        let mut rng = seeded(e, "bcrypt");
        Ok(Value::str(crypto::bcrypt(&text(&a[0]), &mut rng)))
    });
    f.insert("htpasswd", |e, a| {
        arity("htpasswd", a, 2)?;
        let user = text(&a[0]);
        if user.contains(':') {
            return Ok(Value::str(format!("invalid username: {user}")));
        }
        let mut rng = seeded(e, "htpasswd");
        Ok(Value::str(format!(
            "{user}:{}",
            crypto::bcrypt(&text(&a[1]), &mut rng)
        )))
    });
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => other.to_go_string(),
    }
}

pub(super) fn warn(e: &mut Exec, name: &str) {
    let (file, line) = e.call_site.clone();
    let msg = if makes_keys(name) {
        format!(
            "{file}:{line}: {name} makes a new key on every run in Helm; strata derives it from the release and this call site so the tree stays stable: anyone who knows them can derive the private key, and certificates never expire (set the value explicitly for real use)"
        )
    } else {
        format!(
            "{file}:{line}: {name} gives a different value on every run in Helm; strata renders it from a fixed seed so the tree stays stable (set the value explicitly to choose it)"
        )
    };
    e.warnings.push(msg);
}

/// The seed of one call: the release, the template being rendered, the call site and
/// how many seeded calls came before it in this template. Warns.
fn call_seed(e: &mut Exec, name: &str) -> [u8; 32] {
    warn(e, name);
    e.seeded_calls += 1;
    let (file, line) = &e.call_site;
    let mut h = Sha256::new();
    for part in [e.set.seed.as_bytes(), e.root.as_bytes(), file.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(line.to_le_bytes());
    h.update(e.seeded_calls.to_le_bytes());
    h.finalize().into()
}

/// The generator of one call's bytes (serials, IVs, salts, characters); keys come from
/// their own stream of the same seed, so a cached key leaves these bytes unchanged.
fn seeded(e: &mut Exec, name: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(call_seed(e, name))
}

/// A uniform number below `n` (rejection sampling, no modulo bias).
fn uniform(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return v % n;
        }
    }
}

/// Keys by seed and kind: RSA generation costs milliseconds to seconds, and a fleet
/// renders the same release on many clusters.
static KEYS: LazyLock<ByContent<Key>> = LazyLock::new(ByContent::default);

/// The key of `genPrivateKey`'s type `kind`, or the certificate functions' RSA 2048
/// key for `None`, drawn from stream 1 of `seed`.
fn key(seed: &[u8; 32], kind: Option<&str>) -> Result<Key, String> {
    // The seed's 32 bytes, then whether a kind was asked for, and which.
    let mut id = seed.to_vec();
    id.push(kind.is_some() as u8);
    id.extend_from_slice(kind.unwrap_or_default().as_bytes());
    KEYS.get_or_try(&id, || {
        let mut rng = ChaCha20Rng::from_seed(*seed);
        rng.set_stream(1);
        match kind {
            None => crypto::rsa_key(2048, &mut rng),
            Some(kind) => crypto::generate_key(kind, &mut rng),
        }
    })
}

fn pem_key(v: &Value) -> Result<Key, FuncError> {
    crypto::parse_key_pem(&text(v)).or_else(|e| fail(format!("parsing private key: {e}")))
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, FuncError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::List(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.to_string()),
                other => fail(format!("{what}: {} is not a string", other.to_go_string())),
            })
            .collect(),
        other => Err(FuncError::Args(format!(
            "wrong type for value; expected []interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

fn ca(cn: &Value, key: &Key, seed: &[u8; 32]) -> Result<Value, FuncError> {
    let spec = CertSpec {
        cn: &text(cn),
        ips: &[],
        dns: &[],
        is_ca: true,
    };
    let mut rng = ChaCha20Rng::from_seed(*seed);
    crypto::certificate(&spec, key, None, &mut rng)
        .map(certificate_value)
        .or_else(fail)
}

fn leaf(
    cn: &Value,
    ips: &Value,
    dns: &Value,
    key: &Key,
    ca: Option<&CertPair>,
    seed: &[u8; 32],
) -> Result<Value, FuncError> {
    let ips = string_list(ips, "error parsing ip")?;
    let dns = string_list(dns, "error processing alternate dns name")?;
    let issuer = match ca {
        Some(ca) => Some(crypto::issuer(ca).or_else(fail)?),
        None => None,
    };
    let spec = CertSpec {
        cn: &text(cn),
        ips: &ips,
        dns: &dns,
        is_ca: false,
    };
    let mut rng = ChaCha20Rng::from_seed(*seed);
    crypto::certificate(&spec, key, issuer.as_ref(), &mut rng)
        .map(certificate_value)
        .or_else(fail)
}

/// The `certificate` argument of `genSignedCert` (what `genCA` returned).
fn cert_arg(v: &Value) -> Result<CertPair, FuncError> {
    if let Value::Object(o) = v {
        if let (Some(Value::String(cert)), Some(Value::String(key))) =
            (&o.field("Cert"), &o.field("Key"))
        {
            if o.type_name() == CERTIFICATE {
                return Ok(CertPair {
                    cert: cert.to_string(),
                    key: key.to_string(),
                });
            }
        }
    }
    Err(FuncError::Args(format!(
        "wrong type for value; expected {CERTIFICATE}; got {}",
        v.type_name()
    )))
}

const CERTIFICATE: &str = "sprig.certificate";

/// sprig's `certificate` struct: `.Cert` and `.Key`.
#[derive(Debug)]
struct Certificate(CertPair);

impl Object for Certificate {
    fn type_name(&self) -> &str {
        CERTIFICATE
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.0.cert)),
            "Key" => Some(Value::str(&self.0.key)),
            _ => None,
        }
    }
    fn print(&self) -> String {
        format!("{{{} {}}}", self.0.cert, self.0.key)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Cert": self.0.cert, "Key": self.0.key})
    }
}

fn certificate_value(c: CertPair) -> Value {
    Value::Object(Rc::new(Certificate(c)))
}

fn rand_from(e: &mut Exec, a: &[Value], name: &str, alphabet: &[u8]) -> Result<Value, FuncError> {
    arity(name, a, 1)?;
    let n = super::sprig::to_i64(&a[0]).max(0) as usize;
    let mut rng = seeded(e, name);
    let s: String = (0..n)
        .map(|_| alphabet[uniform(&mut rng, alphabet.len() as u64) as usize] as char)
        .collect();
    Ok(Value::str(s))
}

#[cfg(test)]
mod tests {
    use crate::helm::funcs;
    use crate::helm::gotmpl::exec::Exec;
    use crate::helm::gotmpl::{TemplateSet, Value};
    use std::rc::Rc;

    /// Renders `src` as `t.yaml` of release `release`: output and warnings.
    fn run(release: &str, src: &str) -> (String, Vec<String>) {
        let mut set = TemplateSet::new(funcs::all());
        set.seed = Rc::from(release);
        set.add("c/templates/t.yaml", src).expect("parses");
        let mut exec = Exec::new(&set, "c/templates/t.yaml");
        let mut out = String::new();
        exec.run_named("c/templates/t.yaml", &Value::Nil, &mut out, None)
            .expect("runs");
        (out, exec.warnings)
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let src = "{{ shuffle \"abcdefghijklmnop\" }}";
        let (a, warnings) = run("r1", src);
        assert_eq!(a, run("r1", src).0);
        assert_ne!(a, run("r2", src).0);
        let mut sorted: Vec<char> = a.chars().collect();
        sorted.sort();
        assert_eq!(sorted.into_iter().collect::<String>(), "abcdefghijklmnop");
        assert!(warnings[0].contains("shuffle"), "{warnings:?}");
    }

    #[test]
    fn seeded_values_are_stable_per_release_and_call_site() {
        let src = "{{ randAlphaNum 12 }} {{ randAlphaNum 12 }}\n{{ uuidv4 }} {{ randInt 5 9 }} {{ randBytes 6 }}";
        let (a, warnings) = run("r1", src);
        assert_eq!(a, run("r1", src).0, "same release, same output");
        assert_ne!(a, run("r2", src).0, "another release, other values");
        let words: Vec<&str> = a.split_whitespace().collect();
        assert_ne!(words[0], words[1], "two calls on one line differ");
        assert!(words[0].chars().all(|c| c.is_ascii_alphanumeric()) && words[0].len() == 12);
        let uuid = words[2];
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4", "{uuid}");
        assert!("89ab".contains(&uuid[19..20]), "{uuid}");
        let n: i64 = words[3].parse().unwrap_or(0);
        assert!((5..9).contains(&n), "{n}");
        assert_eq!(warnings.len(), 5);
        assert!(
            warnings[0].starts_with("c/templates/t.yaml:1: randAlphaNum gives a different value"),
            "{warnings:?}"
        );
        assert!(warnings[2].starts_with("c/templates/t.yaml:2: uuidv4"));
    }

    #[test]
    fn certificates_are_stable_and_warn_at_the_call_site() {
        let src = "{{- $ca := genCA \"my-ca\" 365 }}\n{{- $c := genSignedCert \"svc\" (list \"10.0.0.1\") (list \"svc.ns\") 365 $ca }}\n{{ $ca.Cert }}{{ $c.Cert }}{{ $c.Key }}";
        let (a, warnings) = run("r1", src);
        assert_eq!(a, run("r1", src).0);
        assert_eq!(a.matches("-----BEGIN CERTIFICATE-----").count(), 2, "{a}");
        assert_eq!(
            a.matches("-----BEGIN RSA PRIVATE KEY-----").count(),
            1,
            "{a}"
        );
        assert_eq!(warnings.len(), 2);
        assert!(warnings[1].starts_with("c/templates/t.yaml:2: genSignedCert makes a new key"));
        let (b, _) = run("r2", src);
        assert_ne!(a, b);
    }

    #[test]
    fn a_certificate_is_its_fields_to_json_and_yaml() {
        let src = "{{- $ca := genCA \"my-ca\" 365 }}{{ $ca | toJson }}\n{{ $ca | toYaml }}";
        let (out, _) = run("r1", src);
        let (json, yaml) = out.split_once('\n').unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(v["Cert"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(v["Key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(
            yaml.starts_with("Cert: |\n  -----BEGIN CERTIFICATE-----"),
            "{yaml}"
        );
        assert!(
            yaml.contains("\nKey: |\n  -----BEGIN RSA PRIVATE KEY-----"),
            "{yaml}"
        );
    }

    #[test]
    fn call_sites_name_the_repository_file_line_and_function() {
        let chart = crate::helm::chart::Chart {
            source: "apps/web/base/Chart.yaml".into(),
            templates: std::sync::Arc::new(vec![
                (
                    "templates/a.yaml".into(),
                    "a: 1\n{{- if .Values.x }}\nb: {{ randAlphaNum 5 | quote }}\n{{- end }}\nc: {{ (genCA \"x\" 3).Cert }}\n".into(),
                ),
                (
                    "templates/_h.tpl".into(),
                    "{{- define \"h\" }}{{ include \"y\" . }}\n{{ uuidv4 }}{{ end }}".into(),
                ),
                ("templates/bad.yaml".into(), "{{ randAlpha ".into()),
            ]),
            ..Default::default()
        };
        let sites: Vec<String> = super::call_sites(&chart)
            .iter()
            .map(|s| format!("{}:{} {}", s.file, s.line, s.function))
            .collect();
        assert_eq!(
            sites,
            [
                "apps/web/base/templates/_h.tpl:2 uuidv4",
                "apps/web/base/templates/a.yaml:3 randAlphaNum",
                "apps/web/base/templates/a.yaml:5 genCA",
            ]
        );
    }

    #[test]
    fn wrong_arguments_fail_as_go_fails() {
        let mut set = TemplateSet::new(funcs::all());
        set.add("t", "{{ genSignedCert \"a\" nil nil 3 \"ca\" }}")
            .expect("parses");
        let e = set.execute("t", &Value::Nil).err().map(|e| e.message);
        assert!(
            e.as_deref()
                .is_some_and(|m| m.contains("expected sprig.certificate; got string")),
            "{e:?}"
        );
        set.add("u", "{{ randInt 3 3 }}").expect("parses");
        let e = set.execute("u", &Value::Nil).err().map(|e| e.message);
        assert!(
            e.as_deref()
                .is_some_and(|m| m.ends_with("error calling randInt: invalid argument to Intn")),
            "{e:?}"
        );
        set.add("v", "{{ genPrivateKey \"bad\" }}").expect("parses");
        assert_eq!(
            set.execute("v", &Value::Nil).ok().as_deref(),
            Some("Unknown type bad")
        );
        set.add(
            "w",
            "{{ derivePassword 1 \"long\" \"password\" \"user\" \"example.com\" }}",
        )
        .expect("parses");
        assert_eq!(
            set.execute("w", &Value::Nil).ok().as_deref(),
            Some("ZedaFaxcZaso9*")
        );
    }
}
