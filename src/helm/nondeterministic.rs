//! sprig's functions whose output changes on every call (`randAlphaNum`, `uuidv4`,
//! `now`, ...). A hydrated tree that changes on every render defeats `render --check`,
//! so strata draws them from a stream seeded by the template and call site (stable
//! across runs) and warns, naming the template and line.

use super::gotmpl::exec::Exec;
use super::gotmpl::funcs::{arity, fail, Funcs};
use super::gotmpl::Value;
use sha2::{Digest, Sha256};

/// The fixed instant `now` returns: the Unix epoch, so that dates are reproducible.
const EPOCH: &str = "1970-01-01 00:00:00 +0000 UTC";

/// Registers the seeded replacements.
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
    f.insert("uuidv4", |e, a| {
        arity("uuidv4", a, 0)?;
        let b = stream(e, "uuidv4", 16);
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        // Version 4, variant 10xx, as a random UUID would carry.
        let v = format!(
            "{}-{}-4{}-{:x}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            8 | (b[8] & 3),
            &hex[17..20],
            &hex[20..32]
        );
        Ok(Value::str(v))
    });
    f.insert("now", |e, a| {
        arity("now", a, 0)?;
        warn(e, "now");
        Ok(Value::str(EPOCH))
    });
    for name in [
        "genCA",
        "genPrivateKey",
        "genSelfSignedCert",
        "genSignedCert",
        "genCAWithKey",
        "genSelfSignedCertWithKey",
        "genSignedCertWithKey",
        "derivePassword",
        "randBytes",
        "randInt",
        "encryptAES",
        "decryptAES",
        "bcrypt",
        "htpasswd",
    ] {
        f.insert(name, |_, _| {
            fail("strata does not generate keys, certificates or random bytes (the output would change on every render); set the value in the chart's values instead")
        });
    }
}

fn warn(e: &mut Exec, name: &str) {
    let (file, line) = e.call_site.clone();
    e.warnings.push(format!(
        "{file}:{line}: {name} gives a different value on every run in Helm; strata renders it from a fixed seed so the tree stays stable (set the value explicitly to choose it)"
    ));
}

/// Bytes drawn from SHA-256 of the call site and the call's number.
fn stream(e: &mut Exec, name: &str, n: usize) -> Vec<u8> {
    warn(e, name);
    e.seeded_calls += 1;
    let (file, line) = e.call_site.clone();
    let mut out = Vec::with_capacity(n);
    let mut block = 0u64;
    while out.len() < n {
        let mut h = Sha256::new();
        h.update(file.as_bytes());
        h.update(line.to_le_bytes());
        h.update(e.seeded_calls.to_le_bytes());
        h.update(block.to_le_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(n);
    out
}

fn rand_from(
    e: &mut Exec,
    a: &[Value],
    name: &str,
    alphabet: &[u8],
) -> Result<Value, super::gotmpl::funcs::FuncError> {
    arity(name, a, 1)?;
    let n = super::sprig::to_i64(&a[0]).max(0) as usize;
    let bytes = stream(e, name, n);
    let s: String = bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect();
    Ok(Value::str(s))
}
