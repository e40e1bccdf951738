//! Signing Content Credentials: a new manifest, signed with the user's key,
//! that records the metadata edit ccsig made (`c2pa.actions`), states the
//! CC signal (`cawg.training-mining`, [`entries_for`](super::entries_for)),
//! and takes the file as it was before the edit as its parent ingredient,
//! so that an earlier manifest's history stays verifiable.
//!
//! Like reading, it knows streams, not containers: the caller hands it the
//! original asset and the edited one, and checks the signed output's
//! container itself. The `c2pa` crate's image handlers hold an asset in
//! memory while they embed the store, so signing costs memory in the
//! file's size (`docs/benchmarks.md`).

use std::fmt;
use std::io::{Cursor, Read, Seek, Write};
use std::str::FromStr;

use serde_json::json;

use super::{credentials_of, guarded, open, written, Entry, ManifestState};

/// The signature algorithms a signing key may use (those C2PA allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    /// ECDSA with P-256 and SHA-256 (the default).
    #[default]
    Es256,
    /// ECDSA with P-384 and SHA-384.
    Es384,
    /// ECDSA with P-521 and SHA-512.
    Es512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// Ed25519.
    Ed25519,
}

impl SigningAlgorithm {
    /// Every algorithm, in the order `--c2pa-alg` lists them.
    pub const ALL: [SigningAlgorithm; 7] = [
        SigningAlgorithm::Es256,
        SigningAlgorithm::Es384,
        SigningAlgorithm::Es512,
        SigningAlgorithm::Ps256,
        SigningAlgorithm::Ps384,
        SigningAlgorithm::Ps512,
        SigningAlgorithm::Ed25519,
    ];

    /// The name on the command line: `es256`, `ps256`, `ed25519` ...
    ///
    /// ```
    /// use ccsig::SigningAlgorithm;
    /// assert_eq!(SigningAlgorithm::Ed25519.as_str(), "ed25519");
    /// assert_eq!("PS256".parse::<SigningAlgorithm>().unwrap(), SigningAlgorithm::Ps256);
    /// assert!("rs256".parse::<SigningAlgorithm>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Es256 => "es256",
            SigningAlgorithm::Es384 => "es384",
            SigningAlgorithm::Es512 => "es512",
            SigningAlgorithm::Ps256 => "ps256",
            SigningAlgorithm::Ps384 => "ps384",
            SigningAlgorithm::Ps512 => "ps512",
            SigningAlgorithm::Ed25519 => "ed25519",
        }
    }

    fn c2pa(self) -> c2pa::SigningAlg {
        match self {
            SigningAlgorithm::Es256 => c2pa::SigningAlg::Es256,
            SigningAlgorithm::Es384 => c2pa::SigningAlg::Es384,
            SigningAlgorithm::Es512 => c2pa::SigningAlg::Es512,
            SigningAlgorithm::Ps256 => c2pa::SigningAlg::Ps256,
            SigningAlgorithm::Ps384 => c2pa::SigningAlg::Ps384,
            SigningAlgorithm::Ps512 => c2pa::SigningAlg::Ps512,
            SigningAlgorithm::Ed25519 => c2pa::SigningAlg::Ed25519,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = SignError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SigningAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| SignError::Algorithm(s.to_string()))
    }
}

/// Why Content Credentials could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// Not an algorithm C2PA allows.
    #[error(
        "{0:?} is not a signing algorithm (expected one of: es256, es384, es512, ps256, ps384, \
         ps512, ed25519)"
    )]
    Algorithm(String),
    /// The certificate chain or the key cannot be used to sign.
    #[error("the signing certificate and key cannot sign Content Credentials: {0}")]
    Key(String),
    /// The `c2pa` crate could not make or embed the manifest.
    #[error("signing Content Credentials failed: {0}")]
    Sign(String),
    /// The signed output does not read back as intended.
    #[error("the signed file does not validate: {0}")]
    Verify(String),
}

/// A certificate chain and private key that sign Content Credentials.
///
/// Made once, before any file is touched: [`SigningKey::from_pem`] signs a
/// one-pixel image with it and reads that back, so a key that does not
/// match its certificate, or a certificate C2PA does not accept, is a
/// bad argument, not an error on every file.
///
/// ```no_run
/// use ccsig::{apply_path, ApplyRequest, SigningAlgorithm, SigningKey, WriteOptions};
/// use std::sync::Arc;
///
/// let chain = std::fs::read("signer-chain.pem").unwrap();
/// let key = std::fs::read("signer.key").unwrap();
/// let signing = SigningKey::from_pem(&chain, &key, SigningAlgorithm::Es256).unwrap();
/// let options = WriteOptions { c2pa_sign: Some(Arc::new(signing)), ..Default::default() };
/// let request = ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr").unwrap();
/// apply_path("photo.jpg".as_ref(), &request, &options).unwrap();
/// ```
#[derive(Clone)]
pub struct SigningKey {
    chain: Vec<u8>,
    key: Vec<u8>,
    algorithm: SigningAlgorithm,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the private key.
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// What C2PA asks of a signer's certificate, said when a key cannot sign
/// (a subject without an organisation fails as `claimSignature.mismatch`).
const CERTIFICATE_PROFILE: &str = "C2PA accepts a signer certificate whose subject names an \
     organisation (O=), with keyUsage digitalSignature and an extendedKeyUsage such as \
     emailProtection, given before its issuers in the chain";

/// A one-pixel greyscale PNG, to prove a key signs before any file is.
const PROBE_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

impl SigningKey {
    /// A signing key from a PEM certificate chain (the signer's
    /// certificate first) and its PEM private key, proven by signing a
    /// one-pixel image and validating the result.
    ///
    /// # Errors
    /// [`SignError::Key`] when they cannot sign, or sign something that
    /// does not validate.
    pub fn from_pem(
        chain: &[u8],
        key: &[u8],
        algorithm: SigningAlgorithm,
    ) -> Result<SigningKey, SignError> {
        let signing = SigningKey {
            chain: chain.to_vec(),
            key: key.to_vec(),
            algorithm,
        };
        let mut signed = Cursor::new(Vec::new());
        let entries = super::entries_for("train-ai=n");
        let probe = || Cursor::new(&PROBE_PNG[..]);
        signing
            .sign(
                "image/png",
                "probe",
                &mut probe(),
                &mut probe(),
                &mut signed,
                &entries,
            )
            .and_then(|()| verify("image/png", &mut signed, &entries))
            .map_err(|e| {
                SignError::Key(format!(
                    "{}; {CERTIFICATE_PROFILE}",
                    match e {
                        SignError::Key(why) => why,
                        other => other.to_string(),
                    }
                ))
            })?;
        Ok(signing)
    }

    /// The algorithm it signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// Signs `edited` (the asset after ccsig's edit, of media type `mime`)
    /// into `dest`, with `original` (the asset before it) as the parent
    /// ingredient and `entries` as the training-and-data-mining assertion
    /// (none: no such assertion, a withdrawal).
    pub(crate) fn sign<R: Read + Seek + Send, E: Read + Seek + Send, W>(
        &self,
        mime: &str,
        title: &str,
        original: &mut R,
        edited: &mut E,
        dest: &mut W,
        entries: &[Entry],
    ) -> Result<(), SignError>
    where
        W: Write + Read + Seek + Send,
    {
        guarded(|| {
            let signer =
                c2pa::create_signer::from_keys(&self.chain, &self.key, self.algorithm.c2pa(), None)
                    .map_err(|e| SignError::Key(e.to_string()))?;
            let failed = |e: c2pa::Error| SignError::Sign(e.to_string());
            let io = |e: std::io::Error| SignError::Sign(e.to_string());
            let mut builder = manifest(title, entries)?;
            let parent = json!({"title": title, "relationship": "parentOf"});
            original.rewind().map_err(io)?;
            builder
                .add_ingredient_from_stream(parent.to_string(), mime, original)
                .map_err(failed)?;
            edited.rewind().map_err(io)?;
            builder
                .sign(signer.as_ref(), mime, edited, dest)
                .map_err(failed)?;
            Ok(())
        })
        .map_err(SignError::Sign)?
    }
}

/// The manifest ccsig signs, before its parent ingredient is added: who
/// made it, the file's title, the metadata edit (`c2pa.actions`; the crate
/// puts the `c2pa.opened` of the parent first, as an edit intent asks),
/// and the entries stating the signal, if any.
fn manifest(title: &str, entries: &[Entry]) -> Result<c2pa::Builder, SignError> {
    let failed = |e: c2pa::Error| SignError::Sign(e.to_string());
    let context = c2pa::Context::new()
        .with_settings(super::settings(None).as_str())
        .map_err(failed)?;
    let mut assertions = vec![json!({"label": "c2pa.actions", "data": {"actions": [{
        "action": "c2pa.edited.metadata",
        "description": "CC signal (AI-use preference) written into the XMP and IPTC metadata",
    }]}})];
    if let Some(data) = written::assertion_json(entries) {
        assertions.push(json!({"label": written::WRITTEN_LABEL, "data": data}));
    }
    let definition = json!({
        "claim_generator_info": [{"name": "ccsig", "version": env!("CARGO_PKG_VERSION")}],
        "title": title,
        "assertions": assertions,
    });
    let mut builder = c2pa::Builder::from_context(context)
        .with_definition(definition.to_string())
        .map_err(failed)?;
    builder.set_intent(c2pa::BuilderIntent::Edit);
    Ok(builder)
}

/// Checks a file ccsig signed before it may replace the original: its
/// credentials validate, the active manifest states exactly `entries`, and
/// it has a parent ingredient.
pub(crate) fn verify<R: Read + Seek + Send>(
    mime: &str,
    signed: &mut R,
    entries: &[Entry],
) -> Result<(), SignError> {
    signed
        .rewind()
        .map_err(|e| SignError::Verify(e.to_string()))?;
    let checked = guarded(|| -> Result<(), String> {
        let reader = open(&mut *signed, mime, None)?;
        let credentials = credentials_of(&reader, None);
        if credentials.state == ManifestState::Invalid {
            return Err(explained_failures(&reader).unwrap_or(credentials.failures.join(", ")));
        }
        if !written::same_entries(&credentials.entries, entries) {
            return Err(format!(
                "its training-and-data-mining assertion does not read back as written \
                 ({:?} for {:?})",
                credentials.entries, entries
            ));
        }
        let has_parent = reader.active_manifest().is_some_and(|m| {
            m.ingredients()
                .iter()
                .any(|i| *i.relationship() == c2pa::Relationship::ParentOf)
        });
        if !has_parent {
            return Err("the new manifest has no parent ingredient".into());
        }
        Ok(())
    });
    checked.and_then(|r| r).map_err(SignError::Verify)
}

/// The active manifest's failures with the crate's explanation of each
/// (`claimSignature.mismatch (claim signature is not valid: ...)`).
fn explained_failures(reader: &c2pa::Reader) -> Option<String> {
    let failures = reader.validation_results()?.active_manifest()?.failure();
    let explained: Vec<String> = failures
        .iter()
        .map(|s| match s.explanation() {
            Some(why) => format!("{} ({why})", s.code()),
            None => s.code().to_string(),
        })
        .collect();
    (!explained.is_empty()).then(|| explained.join(", "))
}
