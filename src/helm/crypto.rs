//! sprig's crypto functions (keys, certificates, `derivePassword`, AES, bcrypt) as sprig
//! v3.3 computes them, with every random byte drawn from the caller's generator.

use base64::Engine as _;
use der::asn1::{Ia5String, OctetString, UtcTime};
use der::{Decode, Encode};
use hmac::Mac as _;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use sha2::{Digest, Sha256};
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// A private key of one of the kinds `genPrivateKey` makes.
#[derive(Clone)]
pub enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// Go's `DSAKeyFormat` DER (version, P, Q, G, Y, X): Go's x509 signs with no DSA
    /// key and certifies none, so it is only ever printed.
    Dsa(Vec<u8>),
}

/// What `genPrivateKey TYPE` makes, as sprig makes it (RSA 4096 by default, P-256,
/// Ed25519, DSA L2048N256), or sprig's message for an unknown type.
pub fn generate_key(kind: &str, rng: &mut ChaCha20Rng) -> Result<Key, String> {
    match kind {
        "" | "rsa" => rsa_key(4096, rng),
        "ecdsa" => Ok(Key::Ec(p256::SecretKey::random(rng))),
        "ed25519" => {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            Ok(Key::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&seed),
            )))
        }
        "dsa" => {
            let params = dsa::Components::generate(rng, dsa::KeySize::DSA_2048_256);
            let key = dsa::SigningKey::generate(rng, params);
            let c = key.verifying_key().components();
            let ints = [
                vec![0u8],
                c.p().to_bytes_be(),
                c.q().to_bytes_be(),
                c.g().to_bytes_be(),
                key.verifying_key().y().to_bytes_be(),
                key.x().to_bytes_be(),
            ];
            let mut body = Vec::new();
            for i in &ints {
                der::asn1::Uint::new(i)
                    .and_then(|u| u.encode_to_vec(&mut body))
                    .map_err(|e| format!("failed to generate private key: {e}"))?;
            }
            Ok(Key::Dsa(der_sequence(&body)))
        }
        other => Err(format!("Unknown type {other}")),
    }
}

/// An RSA key of `bits` bits (e = 65537, as Go's `rsa.GenerateKey`). The sizes sprig
/// makes (2048 for certificates, 4096 for `genPrivateKey`) take their primes from
/// [`prime`]; the key is assembled and checked by the rsa crate.
pub fn rsa_key(bits: usize, rng: &mut ChaCha20Rng) -> Result<Key, String> {
    let key = match bits {
        2048 => Ok(key_from_primes(bits, rng, prime::<16>)),
        4096 => Ok(key_from_primes(bits, rng, prime::<32>)),
        _ => rsa::RsaPrivateKey::new(rng, bits),
    };
    key.map(|k| Key::Rsa(Box::new(k)))
        .map_err(|e| format!("error generating rsa key: {e}"))
}

/// Two distinct primes of `bits / 2` bits whose product has `bits` bits and whose
/// totient is prime to e, as the rsa crate's own generation requires.
fn key_from_primes(
    bits: usize,
    rng: &mut ChaCha20Rng,
    prime: fn(&mut ChaCha20Rng, usize) -> rsa::BigUint,
) -> rsa::RsaPrivateKey {
    loop {
        let p = prime(rng, bits / 2);
        let q = prime(rng, bits - bits / 2);
        if p == q || (&p * &q).bits() != bits {
            continue;
        }
        // Fails only when e divides a prime's predecessor: draw again.
        if let Ok(key) = rsa::RsaPrivateKey::from_primes(vec![p, q], rsa::BigUint::from(65537u32)) {
            return key;
        }
    }
}

/// A random prime of exactly `bits` bits with its top two bits set (so two of them
/// multiply to twice the bits), found by crypto-primes' sieve and its Miller-Rabin and
/// Lucas tests.
fn prime<const L: usize>(rng: &mut ChaCha20Rng, bits: usize) -> rsa::BigUint {
    use crypto_bigint::{Random as _, Uint};
    use crypto_primes::hazmat::MillerRabin;
    use rayon::prelude::*;
    loop {
        let mut start = Uint::<L>::random(&mut *rng) >> (Uint::<L>::BITS - bits);
        start |= Uint::<L>::ONE << (bits - 1);
        start |= Uint::<L>::ONE << (bits - 2);
        start |= Uint::<L>::ONE;
        let mut sieve = crypto_primes::hazmat::Sieve::new(&start, bits, false).peekable();
        // The same prime as testing each candidate in turn with `is_prime_with_rng`, which
        // draws from `rng` only for a candidate that passes the base-2 Miller-Rabin test:
        // that test, the costly part, runs on a few candidates at once on every thread,
        // and the first that passes it, in order, gets the full test.
        let batch = 4 * rayon::current_num_threads().max(1);
        while sieve.peek().is_some() {
            let candidates: Vec<Uint<L>> = sieve.by_ref().take(batch).collect();
            let passes: Vec<bool> = candidates
                .par_iter()
                .map(|c| MillerRabin::new(c).test_base_two().is_probably_prime())
                .collect();
            for (candidate, _) in candidates.iter().zip(passes).filter(|(_, p)| *p) {
                if crypto_primes::is_prime_with_rng(&mut *rng, candidate) {
                    let bytes: Vec<u8> = candidate
                        .as_words()
                        .iter()
                        .flat_map(|w| w.to_le_bytes())
                        .collect();
                    return rsa::BigUint::from_bytes_le(&bytes);
                }
            }
        }
    }
}

fn der_sequence(body: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let len = der::Length::try_from(body.len()).unwrap_or_default();
    let _ = len.encode_to_vec(&mut out);
    out.extend_from_slice(body);
    out
}

/// Go's `pem.EncodeToMemory`: 64 base64 characters a line.
pub fn pem(kind: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block of `text` (Go's `pem.Decode`): its type and bytes.
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let kind_end = rest.find("-----")?;
    let kind = &rest[..kind_end];
    let body = &rest[kind_end + 5..];
    let end = body.find(&format!("-----END {kind}-----"))?;
    let b64: String = body[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((kind.to_string(), bytes))
}

/// sprig's `pemBlockForKey`: PKCS#1 for RSA, SEC1 for EC, Go's DSA format, PKCS#8 else.
pub fn key_pem(key: &Key) -> Result<String, String> {
    let (kind, der) = match key {
        Key::Rsa(k) => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let doc = k.to_pkcs1_der().map_err(|e| e.to_string())?;
            ("RSA PRIVATE KEY", doc.as_bytes().to_vec())
        }
        Key::Ec(k) => {
            // Go's `MarshalECPrivateKey` names the curve (the crate's own encoding omits it).
            let private = k.to_bytes();
            let public = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
                &k.public_key(),
                false,
            );
            let doc = sec1::EcPrivateKey {
                private_key: &private,
                parameters: Some(sec1::EcParameters::NamedCurve(OID_P256)),
                public_key: Some(public.as_bytes()),
            }
            .to_der()
            .map_err(|e| e.to_string())?;
            ("EC PRIVATE KEY", doc)
        }
        Key::Ed25519(k) => {
            // Go's `MarshalPKCS8PrivateKey`: version 0, no public key.
            let mut der = vec![
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
                0x04, 0x20,
            ];
            der.extend_from_slice(&k.to_bytes());
            ("PRIVATE KEY", der)
        }
        Key::Dsa(der) => ("DSA PRIVATE KEY", der.clone()),
    };
    Ok(pem(kind, &der))
}

/// sprig's `parsePrivateKeyPEM`.
pub fn parse_key_pem(text: &str) -> Result<Key, String> {
    let (kind, der) = pem_decode(text).ok_or("no PEM data in input")?;
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(algo) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match algo {
        "RSA" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|e| format!("parsing RSA private key from PEM: {e}"))
        }
        "EC" => parse_sec1(&der).map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => match der::asn1::SequenceOf::<der::asn1::Uint, 6>::from_der(&der) {
            Ok(_) => Ok(Key::Dsa(der)),
            Err(e) => Err(format!("parsing DSA private key from PEM: {e}")),
        },
        _ => Err(format!("invalid private key type {kind}")),
    }
}

fn parse_sec1(der: &[u8]) -> Result<Key, String> {
    let k = sec1::EcPrivateKey::from_der(der).map_err(|e| e.to_string())?;
    if let Some(sec1::EcParameters::NamedCurve(oid)) = k.parameters {
        if oid != OID_P256 {
            return Err(format!(
                "x509: unknown elliptic curve {oid} (strata supports P-256)"
            ));
        }
    }
    p256::SecretKey::from_slice(k.private_key)
        .map(Key::Ec)
        .map_err(|e| e.to_string())
}

fn parse_pkcs8(der: &[u8]) -> Result<Key, String> {
    let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| e.to_string())?;
    match info.algorithm.oid {
        OID_RSA_ENCRYPTION => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::RsaPrivateKey::from_pkcs1_der(info.private_key)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|e| e.to_string())
        }
        OID_EC_PUBLIC_KEY => parse_sec1(info.private_key),
        OID_ED25519 => {
            let seed = OctetString::from_der(info.private_key).map_err(|e| e.to_string())?;
            let bytes: [u8; 32] = seed
                .as_bytes()
                .try_into()
                .map_err(|_| "x509: invalid Ed25519 private key length".to_string())?;
            Ok(Key::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&bytes),
            )))
        }
        oid => Err(format!(
            "x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}"
        )),
    }
}

impl Key {
    /// The public key as a SubjectPublicKeyInfo.
    fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, String> {
        let der = match self {
            Key::Rsa(k) => {
                use rsa::pkcs8::EncodePublicKey;
                k.to_public_key()
                    .to_public_key_der()
                    .map_err(|e| e.to_string())?
                    .into_vec()
            }
            Key::Ec(k) => {
                use p256::pkcs8::EncodePublicKey;
                k.public_key()
                    .to_public_key_der()
                    .map_err(|e| e.to_string())?
                    .into_vec()
            }
            Key::Ed25519(k) => {
                let mut der = vec![
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                der.extend_from_slice(k.verifying_key().as_bytes());
                der
            }
            Key::Dsa(_) => return Err("x509: unsupported public key type: *dsa.PublicKey".into()),
        };
        SubjectPublicKeyInfoOwned::from_der(&der).map_err(|e| e.to_string())
    }

    /// The signature algorithm Go's x509 picks for this key, and the signature of `tbs`.
    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, String> {
        use rsa::signature::{SignatureEncoding, Signer};
        match self {
            Key::Rsa(k) => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**k).clone());
                Ok(signer.sign(tbs).to_vec())
            }
            Key::Ec(k) => {
                // RFC 6979: deterministic, where Go's is randomised; both verify alike.
                let signer = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::Signature = signer.sign(tbs);
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Key::Ed25519(k) => Ok(k.sign(tbs).to_bytes().to_vec()),
            Key::Dsa(_) => {
                Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
    }

    fn signature_algorithm(&self) -> Result<AlgorithmIdentifierOwned, String> {
        Ok(match self {
            Key::Rsa(_) => AlgorithmIdentifierOwned {
                oid: OID_SHA256_WITH_RSA,
                parameters: Some(
                    der::Any::new(der::Tag::Null, Vec::new()).map_err(|e| e.to_string())?,
                ),
            },
            Key::Ec(_) => AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            Key::Ed25519(_) => AlgorithmIdentifierOwned {
                oid: OID_ED25519,
                parameters: None,
            },
            Key::Dsa(_) => {
                return Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        })
    }
}

/// The `certificate` sprig returns: PEM certificate and PEM key.
#[derive(Clone, Debug, PartialEq)]
pub struct CertPair {
    pub cert: String,
    pub key: String,
}

/// What the certificate says besides its key: sprig's `getBaseCertTemplate`.
pub struct CertSpec<'a> {
    pub cn: &'a str,
    pub ips: &'a [String],
    pub dns: &'a [String],
    pub is_ca: bool,
}

/// The issuer: its certificate (subject, key identifier, public key) and key.
pub struct Issuer {
    cert: Certificate,
    key: Key,
}

/// Reads the `certificate` passed to `genSignedCert` (sprig's checks and messages).
pub fn issuer(ca: &CertPair) -> Result<Issuer, String> {
    let (_, der) = pem_decode(&ca.cert).ok_or("unable to decode certificate")?;
    let cert = Certificate::from_der(&der)
        .map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
    let key = parse_key_pem(&ca.key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(Issuer { cert, key })
}

/// sprig's `buildCustomCert`: base64 PEM certificate and key, checked.
pub fn build_custom(b64cert: &str, b64key: &str) -> Result<CertPair, String> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let cert = b64
        .decode(b64cert)
        .map_err(|_| "unable to decode base64 certificate")?;
    let key = b64
        .decode(b64key)
        .map_err(|_| "unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or("unable to decode certificate")?;
    Certificate::from_der(&der)
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))?;
    parse_key_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(CertPair { cert, key })
}

/// Go's `x509.CreateCertificate` for sprig's template: self-signed when `issuer` is
/// `None`. Validity runs from the Unix epoch (the instant `now` gives) to RFC 5280's
/// "no expiry" (9999-12-31): a certificate fixed at render time must not expire
/// `daysValid` days after 1970, so `daysValid` is not used.
pub fn certificate(
    spec: &CertSpec,
    key: &Key,
    issuer: Option<&Issuer>,
    rng: &mut ChaCha20Rng,
) -> Result<CertPair, String> {
    let creating = |e: String| format!("error creating certificate: {e}");
    let ips = spec
        .ips
        .iter()
        .map(|ip| {
            let addr: std::net::IpAddr =
                ip.parse().map_err(|_| format!("error parsing ip: {ip}"))?;
            Ok(match addr {
                std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
                std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.octets().to_vec(),
                    None => v6.octets().to_vec(),
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    let serial = SerialNumber::new(&serial).map_err(|e| e.to_string())?;

    let subject = name(spec.cn).map_err(creating)?;
    let spki = key.spki().map_err(creating)?;
    let (signer, issuer_name, authority_key_id) = match issuer {
        None => (key, subject.clone(), None),
        Some(i) => {
            let tbs = &i.cert.tbs_certificate;
            if i.key.spki().map_err(creating)? != tbs.subject_public_key_info {
                return Err(creating(
                    "x509: provided PrivateKey doesn't match parent's PublicKey".into(),
                ));
            }
            let skid = tbs
                .get::<SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .map(|(_, id)| id.0);
            let akid = if tbs.subject != subject { skid } else { None };
            (&i.key, tbs.subject.clone(), akid)
        }
    };
    let signature = signer.signature_algorithm().map_err(creating)?;

    // Go's order and criticality (`buildCertExtensions`).
    let mut usage = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if spec.is_ca {
        usage |= KeyUsages::KeyCertSign;
    }
    let mut exts = vec![
        extension(OID_KEY_USAGE, true, &KeyUsage(usage))?,
        extension(
            OID_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![OID_SERVER_AUTH, OID_CLIENT_AUTH]),
        )?,
        extension(
            OID_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: spec.is_ca,
                path_len_constraint: None,
            },
        )?,
    ];
    if spec.is_ca {
        // Go 1.25+: the first 160 bits of SHA-256 of the public key.
        let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
        let id = OctetString::new(&digest[..20]).map_err(|e| e.to_string())?;
        exts.push(extension(
            OID_SUBJECT_KEY_ID,
            false,
            &SubjectKeyIdentifier(id),
        )?);
    }
    if let Some(id) = authority_key_id {
        exts.push(extension(
            OID_AUTHORITY_KEY_ID,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(id),
                ..Default::default()
            },
        )?);
    }
    let mut names = Vec::new();
    for d in spec.dns {
        let ia5 = Ia5String::new(d)
            .map_err(|_| creating(format!("x509: {d:?} cannot be encoded as an IA5String")))?;
        names.push(GeneralName::DnsName(ia5));
    }
    for ip in ips {
        names.push(GeneralName::IpAddress(
            OctetString::new(ip).map_err(|e| e.to_string())?,
        ));
    }
    if !names.is_empty() {
        let critical = subject.0.is_empty();
        exts.push(extension(OID_SAN, critical, &SubjectAltName(names))?);
    }

    let not_before =
        UtcTime::from_unix_duration(std::time::Duration::ZERO).map_err(|e| e.to_string())?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial,
        signature: signature.clone(),
        issuer: issuer_name,
        validity: Validity {
            not_before: Time::UtcTime(not_before),
            not_after: Time::INFINITY,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(exts),
    };
    let tbs_der = tbs.to_der().map_err(|e| creating(e.to_string()))?;
    let sig = signer.sign(&tbs_der).map_err(creating)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: signature,
        signature: der::asn1::BitString::from_bytes(&sig).map_err(|e| e.to_string())?,
    };
    let der = cert.to_der().map_err(|e| creating(e.to_string()))?;
    Ok(CertPair {
        cert: pem("CERTIFICATE", &der),
        key: key_pem(key)?,
    })
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, String> {
    let der = value.to_der().map_err(|e| e.to_string())?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).map_err(|e| e.to_string())?,
    })
}

/// `pkix.Name{CommonName: cn}` as Go encodes it: no attribute when empty, a
/// PrintableString when every character allows it, UTF8String otherwise.
fn name(cn: &str) -> Result<Name, String> {
    if cn.is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    let printable = cn
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    let tag = if printable {
        der::Tag::PrintableString
    } else {
        der::Tag::Utf8String
    };
    let value = der::Any::new(tag, cn.as_bytes()).map_err(|e| e.to_string())?;
    let atv = x509_cert::attr::AttributeTypeAndValue { oid: OID_CN, value };
    let set = der::asn1::SetOfVec::try_from(vec![atv]).map_err(|e| e.to_string())?;
    Ok(RdnSequence(vec![RelativeDistinguishedName(set)]))
}

const MASTER_PASSWORD_SEED: &[u8] = b"com.lyndir.masterpassword";

fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_characters(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// sprig's `derivePassword` (the Master Password algorithm): deterministic.
pub fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MASTER_PASSWORD_SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MASTER_PASSWORD_SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    template
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_characters(*c);
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect()
}

/// sprig's AES key: the password's bytes in 32 zero bytes (AES-256).
fn aes_key(password: &str) -> aes::Aes256 {
    use aes::cipher::KeyInit;
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    aes::Aes256::new(&key.into())
}

/// sprig's `encryptAES`: AES-256-CBC, PKCS#7 padding, the IV first, base64.
pub fn encrypt_aes(password: &str, plaintext: &str, rng: &mut ChaCha20Rng) -> String {
    use aes::cipher::BlockEncrypt;
    if plaintext.is_empty() {
        return String::new();
    }
    let cipher = aes_key(password);
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut out = vec![0u8; 16];
    rng.fill_bytes(&mut out);
    let mut prev: [u8; 16] = out[..16].try_into().unwrap_or_default();
    for chunk in content.chunks(16) {
        let mut block = [0u8; 16];
        for (i, b) in chunk.iter().enumerate() {
            block[i] = b ^ prev[i];
        }
        let mut ga = block.into();
        cipher.encrypt_block(&mut ga);
        prev = ga.into();
        out.extend_from_slice(&prev);
    }
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// sprig's `decryptAES`, with errors where Go would panic.
pub fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, String> {
    use aes::cipher::BlockDecrypt;
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| format!("illegal base64 data: {e}"))?;
    if crypt.len() < 16 {
        return Err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        ));
    }
    let body = &crypt[16..];
    if body.len() % 16 != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    if body.is_empty() {
        return Err("runtime error: index out of range [-1]".into());
    }
    let cipher = aes_key(password);
    let mut prev: [u8; 16] = crypt[..16].try_into().unwrap_or_default();
    let mut plain = Vec::with_capacity(body.len());
    for chunk in body.chunks(16) {
        let mut ga = <[u8; 16]>::try_from(chunk).unwrap_or_default().into();
        cipher.decrypt_block(&mut ga);
        let block: [u8; 16] = ga.into();
        plain.extend(block.iter().zip(prev.iter()).map(|(a, b)| a ^ b));
        prev = chunk.try_into().unwrap_or_default();
    }
    let pad = *plain.last().unwrap_or(&0) as usize;
    if pad > plain.len() {
        return Err(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        ));
    }
    plain.truncate(plain.len() - pad);
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

/// sprig's `bcrypt` (Go's `bcrypt.GenerateFromPassword` at the default cost, `$2a$`).
pub fn bcrypt(input: &str, rng: &mut ChaCha20Rng) -> String {
    if input.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    match ::bcrypt::hash_with_salt(input, 10, salt) {
        Ok(h) => h.format_for_version(::bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::from_seed([7; 32])
    }

    /// The search `prime` parallelises, one candidate at a time.
    fn prime_in_turn<const L: usize>(rng: &mut ChaCha20Rng, bits: usize) -> rsa::BigUint {
        use crypto_bigint::{Random as _, Uint};
        loop {
            let mut start = Uint::<L>::random(&mut *rng) >> (Uint::<L>::BITS - bits);
            start |= Uint::<L>::ONE << (bits - 1);
            start |= Uint::<L>::ONE << (bits - 2);
            start |= Uint::<L>::ONE;
            for c in crypto_primes::hazmat::Sieve::new(&start, bits, false) {
                if crypto_primes::is_prime_with_rng(&mut *rng, &c) {
                    let bytes: Vec<u8> =
                        c.as_words().iter().flat_map(|w| w.to_le_bytes()).collect();
                    return rsa::BigUint::from_bytes_le(&bytes);
                }
            }
        }
    }

    #[test]
    fn primes_found_in_batches_are_those_found_in_turn() {
        for seed in 0..6u8 {
            let (mut a, mut b) = (
                ChaCha20Rng::from_seed([seed; 32]),
                ChaCha20Rng::from_seed([seed; 32]),
            );
            for _ in 0..2 {
                assert_eq!(prime::<16>(&mut a, 1024), prime_in_turn::<16>(&mut b, 1024));
            }
            // And the stream is left where the search in turn leaves it.
            assert_eq!(a.get_word_pos(), b.get_word_pos());
        }
    }

    #[test]
    fn rsa_keys_have_the_size_asked_two_primes_and_e_65537() {
        use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
        let mut rng = rng();
        for bits in [2048, 4096, 1024] {
            let Ok(Key::Rsa(key)) = rsa_key(bits, &mut rng) else {
                panic!("an RSA key of {bits} bits");
            };
            assert_eq!(key.n().bits(), bits);
            assert_eq!(key.e(), &rsa::BigUint::from(65537u32));
            let primes = key.primes();
            assert_eq!(primes.len(), 2);
            assert_eq!(&(&primes[0] * &primes[1]), key.n());
            assert!(key.validate().is_ok());
        }
        let again = |seed| match rsa_key(2048, &mut ChaCha20Rng::from_seed(seed)) {
            Ok(Key::Rsa(k)) => k.n().clone(),
            _ => panic!("a key"),
        };
        assert_eq!(
            again([1; 32]),
            again([1; 32]),
            "the same seed, the same key"
        );
        assert_ne!(again([1; 32]), again([2; 32]));
    }

    #[test]
    fn derive_password_matches_sprigs_test_vectors() {
        // sprig v3.3.0 crypto_test.go, TestDerivePassword.
        for (counter, kind, want) in [
            (1, "long", "ZedaFaxcZaso9*"),
            (2, "long", "Fovi2@JifpTupx"),
            (1, "maximum", "pf4zS1LjCg&LjhsZ7T2~"),
            (1, "medium", "ZedJuz8$"),
            (1, "basic", "pIS54PLs"),
            (1, "short", "Zed5"),
            (1, "pin", "6685"),
        ] {
            assert_eq!(
                derive_password(counter, kind, "password", "user", "example.com"),
                want,
                "{counter} {kind}"
            );
        }
        assert_eq!(
            derive_password(1, "nope", "p", "u", "s"),
            "cannot find password template nope"
        );
    }

    #[test]
    fn aes_round_trips_and_pads_as_sprig_does() {
        let c = encrypt_aes("secretkey", "plaintext", &mut rng());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&c)
            .unwrap_or_default();
        assert_eq!(raw.len(), 32, "IV and one padded block");
        assert_eq!(decrypt_aes("secretkey", &c).as_deref(), Ok("plaintext"));
        assert_eq!(c, encrypt_aes("secretkey", "plaintext", &mut rng()));
        assert!(decrypt_aes("k", "AAAA").is_err());
        assert_eq!(encrypt_aes("k", "", &mut rng()), "");
    }

    #[test]
    fn aes_reads_what_openssl_writes() {
        // `openssl enc -aes-256-cbc` with the key "secretkey" padded with zeros to 32
        // bytes and the IV 00..0f, the IV first: the layout sprig writes.
        let c = "AAECAwQFBgcICQoLDA0OD4aChIkqfhLglmmHSXlA6r0=";
        assert_eq!(decrypt_aes("secretkey", c).as_deref(), Ok("plaintext"));
    }

    #[test]
    fn keys_print_in_sprigs_pem_blocks_and_parse_back() {
        for (kind, block) in [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY")] {
            let k = generate_key(kind, &mut rng()).expect("key");
            let pem = key_pem(&k).expect("pem");
            assert!(
                pem.starts_with(&format!("-----BEGIN {block}-----\n")),
                "{pem}"
            );
            let again = key_pem(&parse_key_pem(&pem).expect("parses")).expect("pem");
            assert_eq!(pem, again);
        }
        assert_eq!(
            generate_key("bad", &mut rng()).err().as_deref(),
            Some("Unknown type bad")
        );
    }

    #[test]
    fn certificates_carry_sprigs_fields() {
        let ca_key = rsa_key(2048, &mut rng()).expect("key");
        let ca = certificate(
            &CertSpec {
                cn: "foo-ca",
                ips: &[],
                dns: &[],
                is_ca: true,
            },
            &ca_key,
            None,
            &mut rng(),
        )
        .expect("ca");
        let leaf_key = generate_key("ecdsa", &mut rng()).expect("key");
        let leaf = certificate(
            &CertSpec {
                cn: "foo.com",
                ips: &["10.0.0.1".into(), "::1".into()],
                dns: &["bar.com".into(), "bat.com".into()],
                is_ca: false,
            },
            &leaf_key,
            Some(&issuer(&ca).expect("issuer")),
            &mut rng(),
        )
        .expect("leaf");
        let (kind, der) = pem_decode(&leaf.cert).expect("pem");
        assert_eq!(kind, "CERTIFICATE");
        let cert = Certificate::from_der(&der).expect("parses");
        let tbs = &cert.tbs_certificate;
        assert_eq!(tbs.subject.to_string(), "CN=foo.com");
        assert_eq!(tbs.issuer.to_string(), "CN=foo-ca");
        let (_, san) = tbs.get::<SubjectAltName>().expect("ok").expect("san");
        assert_eq!(san.0.len(), 4);
        let (_, bc) = tbs.get::<BasicConstraints>().expect("ok").expect("bc");
        assert!(!bc.ca);
        assert!(tbs.get::<AuthorityKeyIdentifier>().expect("ok").is_some());
        assert!(leaf.key.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));

        let (_, der) = pem_decode(&ca.cert).expect("pem");
        let ca_cert = Certificate::from_der(&der).expect("parses");
        let (_, bc) = ca_cert
            .tbs_certificate
            .get::<BasicConstraints>()
            .expect("ok")
            .expect("bc");
        assert!(bc.ca);
        // The leaf's signature verifies with the CA's key.
        use rsa::signature::Verifier;
        let Key::Rsa(k) = &ca_key else { panic!() };
        let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k.to_public_key());
        let sig = rsa::pkcs1v15::Signature::try_from(cert.signature.raw_bytes()).expect("sig");
        vk.verify(&tbs.to_der().expect("der"), &sig)
            .expect("verifies");

        // A key that is not the CA's is refused, as Go refuses it.
        let other = CertPair {
            cert: ca.cert.clone(),
            key: leaf.key.clone(),
        };
        let err = certificate(
            &CertSpec {
                cn: "x",
                ips: &[],
                dns: &[],
                is_ca: false,
            },
            &leaf_key,
            Some(&issuer(&other).expect("issuer")),
            &mut rng(),
        )
        .err()
        .unwrap_or_default();
        assert!(err.contains("doesn't match parent's PublicKey"), "{err}");
    }

    #[test]
    fn bcrypt_is_go_shaped() {
        let h = bcrypt("password", &mut rng());
        assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
        assert!(::bcrypt::verify("password", &h).unwrap_or(false));
        assert!(bcrypt(&"x".repeat(73), &mut rng()).contains("exceeds 72 bytes"));
    }
}
