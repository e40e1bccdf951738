//! IPTC-IIM as a signal carrier: 2:40 Special Instructions holds the
//! expression as text, 2:80 By-line and 2:116 Copyright Notice give credit
//! context. Built on the byte-level [`super::iim`] and [`super::irb`].
//!
//! The 2:40 text policy (docs/mapping.md): ccsig's part is the segment
//! `Content-Usage: <expression>`, always last. Whatever text someone else
//! put in 2:40 stays before it, separated by one space; an older
//! `Content-Usage:` segment gives way to the new one. IIM text may not hold
//! line breaks, so the segment runs to the end of the value.

use super::{constraints::MARKER, iim, irb, MappingError};

/// Whether the IIM digest (8BIM 0x0425) matches the IIM it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestState {
    /// No digest stored: MWG readers then trust XMP over IIM.
    Absent,
    Matches,
    /// The IIM changed since the digest was written (exiv2 leaves it so):
    /// MWG readers ignore XMP... or IIM, depending on the reader.
    Stale,
}

/// The IIM fields ccsig reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IimFields {
    pub special_instructions: Option<String>,
    pub by_line: Vec<String>,
    pub copyright_notice: Option<String>,
    pub digest: DigestState,
    /// Text was decoded from a charset ccsig only partly understands.
    pub lossy: bool,
}

fn iim_err(e: impl std::fmt::Display) -> MappingError {
    MappingError::Iim(e.to_string())
}

fn fields_of(iim_bytes: &[u8], digest: DigestState) -> Result<IimFields, MappingError> {
    let text = iim::read_text(iim_bytes).map_err(iim_err)?;
    Ok(IimFields {
        special_instructions: text.special_instructions.filter(|s| !s.trim().is_empty()),
        by_line: text.by_line,
        copyright_notice: text.copyright_notice,
        digest,
        lossy: text.lossy,
    })
}

/// Reads the IIM of a Photoshop IRB (JPEG APP13 payload); `None` when the
/// IRB holds no IIM.
pub fn read_irb(irb_bytes: &[u8]) -> Result<Option<IimFields>, MappingError> {
    let Some(iim_bytes) = irb::iptc(irb_bytes).map_err(iim_err)? else {
        return Ok(None);
    };
    let digest = match irb::digest(irb_bytes).map_err(iim_err)? {
        None => DigestState::Absent,
        Some(d) if d == irb::iim_digest(iim_bytes) => DigestState::Matches,
        Some(_) => DigestState::Stale,
    };
    fields_of(iim_bytes, digest).map(Some)
}

/// Reads bare IIM datasets (TIFF's IPTC-NAA tag), which carry no digest.
pub fn read_bare(iim_bytes: &[u8]) -> Result<IimFields, MappingError> {
    fields_of(iim_bytes, DigestState::Absent)
}

/// Decodes ImageMagick's PNG raw profile text ("Raw profile type iptc" or
/// "8bim"): a line with the profile name, a line with its length, then the
/// bytes in hex. Returns the name and the bytes.
pub fn decode_raw_profile(text: &[u8]) -> Result<(String, Vec<u8>), MappingError> {
    let text = String::from_utf8_lossy(text);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let name = lines.next().unwrap_or_default().to_string();
    let declared: usize = lines
        .next()
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| iim_err("raw profile has no length line"))?;
    let hex: String = lines
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if hex.len() != declared.saturating_mul(2) || !hex.is_ascii() {
        return Err(iim_err(format!(
            "raw profile says {declared} bytes but holds {} hex digits",
            hex.len()
        )));
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| iim_err("raw profile holds a non-hex digit"))?;
    Ok((name, bytes))
}

/// Encodes bytes as ImageMagick writes a raw profile: newline, name,
/// newline, the length right-aligned in eight columns, newline, then the
/// bytes in lower-case hex, 72 digits a line, each line ended by a newline.
pub fn encode_raw_profile(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("\n{name}\n{:>8}\n", bytes.len());
    for line in bytes.chunks(36) {
        for b in line {
            out.push_str(&format!("{b:02x}"));
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Reads a PNG raw profile's IIM. The bytes are either an IRB (`8BIM...`)
/// or bare IIM datasets.
pub fn read_raw_profile(text: &[u8]) -> Result<Option<IimFields>, MappingError> {
    let (_, bytes) = decode_raw_profile(text)?;
    if bytes.starts_with(b"8BIM") {
        read_irb(&bytes)
    } else {
        fields_of(&bytes, DigestState::Absent).map(Some)
    }
}

/// A raw profile's text with 2:40 set to `text` (`None`: taken out): an IRB
/// profile keeps every other resource and gets a matching digest, a bare
/// IIM profile every other dataset; the result is re-encoded as hex.
/// `None` when the profile holds no IIM.
pub fn raw_profile_with_special_instructions(
    profile: &[u8],
    text: Option<&str>,
) -> Result<Option<Vec<u8>>, MappingError> {
    let (name, bytes) = decode_raw_profile(profile)?;
    let new = if bytes.starts_with(b"8BIM") {
        if irb::iptc(&bytes).map_err(iim_err)?.is_none() {
            return Ok(None);
        }
        irb_with_special_instructions_or_none(&bytes, text)?
    } else {
        match text {
            Some(t) => iim::set_special_instructions(&bytes, t),
            None => iim::remove_special_instructions(&bytes),
        }
        .map_err(iim_err)?
    };
    Ok(Some(encode_raw_profile(&name, &new)))
}

/// Checks a rewritten raw profile against the original: same profile name;
/// for an IRB, as [`verify_rewrite`]; for bare IIM, every dataset but 2:40
/// (and a 1:90 ccsig may add) byte-identical and in order, 2:40 as intended.
pub fn verify_raw_profile_rewrite(
    old: &[u8],
    new: &[u8],
    expected_2_40: Option<&str>,
) -> Result<(), String> {
    let (old_name, old_bytes) = decode_raw_profile(old).map_err(|e| e.to_string())?;
    let (new_name, new_bytes) = decode_raw_profile(new).map_err(|e| e.to_string())?;
    if old_name != new_name {
        return Err(format!("raw profile {old_name:?} became {new_name:?}"));
    }
    if old_bytes.starts_with(b"8BIM") {
        return verify_rewrite(Some(&old_bytes), &new_bytes, expected_2_40);
    }
    let others = |iim_bytes: &[u8]| -> Result<Vec<Vec<u8>>, String> {
        Ok(iim::parse(iim_bytes)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|d| !((d.record, d.number) == (2, 40) || (d.record, d.number) == (1, 90)))
            .map(|d| iim_bytes[d.range].to_vec())
            .collect())
    };
    if others(&old_bytes)? != others(&new_bytes)? {
        return Err("an IIM dataset other than 2:40 changed".into());
    }
    let fields = fields_of(&new_bytes, DigestState::Absent).map_err(|e| e.to_string())?;
    if fields.special_instructions.as_deref() != expected_2_40 {
        return Err(format!(
            "IIM 2:40 reads {:?}, expected {expected_2_40:?}",
            fields.special_instructions
        ));
    }
    Ok(())
}

/// ccsig's segment of the 2:40 text.
pub fn segment(expression: &str) -> String {
    format!("{MARKER} {expression}")
}

/// The 2:40 text to write: the other text kept, ccsig's segment last.
pub fn special_instructions_for(existing: Option<&str>, expression: &str) -> String {
    let others = existing
        .map(|t| match t.find(MARKER) {
            Some(at) => t[..at].trim_end(),
            None => t.trim_end(),
        })
        .unwrap_or("");
    if others.is_empty() {
        segment(expression)
    } else {
        format!("{others} {}", segment(expression))
    }
}

/// What is left of 2:40 once ccsig's segment is taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remainder {
    /// 2:40 does not end with ccsig's segment for this expression.
    NotOurs,
    /// Nothing else was in 2:40.
    Empty,
    /// Someone else's text, kept.
    Text(String),
}

/// The 2:40 text without ccsig's segment for `expression`.
pub fn without_segment(existing: &str, expression: &str) -> Remainder {
    let ours = segment(expression);
    let Some(others) = existing.trim_end().strip_suffix(&ours) else {
        return Remainder::NotOurs;
    };
    match others.trim_end() {
        "" => Remainder::Empty,
        text => Remainder::Text(text.to_string()),
    }
}

/// A new IRB with 2:40 set to `text` and the digest updated; `irb_bytes`
/// is the existing IRB (if any). With no IIM yet, a new IIM is made.
pub fn irb_with_special_instructions(
    irb_bytes: Option<&[u8]>,
    text: &str,
) -> Result<Vec<u8>, MappingError> {
    let existing = match irb_bytes {
        Some(b) => irb::iptc(b).map_err(iim_err)?,
        None => None,
    };
    let new_iim = match existing {
        Some(iim_bytes) => iim::set_special_instructions(iim_bytes, text),
        None => iim::new_iim(text),
    }
    .map_err(iim_err)?;
    match irb_bytes {
        Some(b) => irb::with_iptc(b, &new_iim).map_err(iim_err),
        None => Ok(irb::new_irb(&new_iim)),
    }
}

/// A new IRB with 2:40 set to `text`, or removed when `text` is `None`.
pub fn irb_with_special_instructions_or_none(
    irb_bytes: &[u8],
    text: Option<&str>,
) -> Result<Vec<u8>, MappingError> {
    match text {
        Some(t) => irb_with_special_instructions(Some(irb_bytes), t),
        None => {
            let iim_bytes = irb::iptc(irb_bytes).map_err(iim_err)?.unwrap_or_default();
            let new_iim = iim::remove_special_instructions(iim_bytes).map_err(iim_err)?;
            irb::with_iptc(irb_bytes, &new_iim).map_err(iim_err)
        }
    }
}

/// Checks a rewritten IRB against the original before it is used: every
/// resource but the IIM and its digest byte-identical and in order, every
/// IIM dataset but 2:40 (and a 1:90 declaration ccsig may add) likewise,
/// 2:40 as intended, and the digest matching the new IIM.
pub fn verify_rewrite(
    old: Option<&[u8]>,
    new: &[u8],
    expected_2_40: Option<&str>,
) -> Result<(), String> {
    let others = |irb_bytes: &[u8]| -> Result<Vec<Vec<u8>>, String> {
        Ok(irb::parse(irb_bytes)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|r| {
                !(r.signature == irb::SIGNATURE_8BIM
                    && (r.id == irb::IPTC_ID || r.id == irb::DIGEST_ID))
            })
            .map(|r| irb_bytes[r.range].to_vec())
            .collect())
    };
    let datasets = |irb_bytes: Option<&[u8]>| -> Result<Vec<Vec<u8>>, String> {
        let Some(b) = irb_bytes else {
            return Ok(vec![]);
        };
        let Some(iim_bytes) = irb::iptc(b).map_err(|e| e.to_string())? else {
            return Ok(vec![]);
        };
        Ok(iim::parse(iim_bytes)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|d| !((d.record, d.number) == (2, 40) || (d.record, d.number) == (1, 90)))
            .filter(|d| old.is_some() || (d.record, d.number) != (2, 0))
            .map(|d| iim_bytes[d.range].to_vec())
            .collect())
    };
    if let Some(old) = old {
        if others(old)? != others(new)? {
            return Err("a Photoshop resource other than IPTC changed".into());
        }
    }
    if datasets(old)? != datasets(Some(new))? {
        return Err("an IIM dataset other than 2:40 changed".into());
    }
    let fields = read_irb(new)
        .map_err(|e| e.to_string())?
        .ok_or("the IIM is gone")?;
    if fields.special_instructions.as_deref() != expected_2_40 {
        return Err(format!(
            "IIM 2:40 reads {:?}, expected {expected_2_40:?}",
            fields.special_instructions
        ));
    }
    if fields.digest != DigestState::Matches {
        return Err("the IPTC digest does not match the new IIM".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_text_in_2_40_is_kept_before_our_segment() {
        let e = "train-ai=n;exceptions=cc-cr";
        assert_eq!(
            special_instructions_for(None, e),
            "Content-Usage: train-ai=n;exceptions=cc-cr"
        );
        let t = special_instructions_for(Some("Do not crop. Content-Usage: tdm=n"), e);
        assert_eq!(t, "Do not crop. Content-Usage: train-ai=n;exceptions=cc-cr");
        assert_eq!(
            without_segment(&t, e),
            Remainder::Text("Do not crop.".into())
        );
        assert_eq!(without_segment(&segment(e), e), Remainder::Empty);
        assert_eq!(without_segment("Do not crop.", e), Remainder::NotOurs);
    }

    #[test]
    fn raw_profiles_round_trip_as_imagemagick_writes_them() {
        // 2:25 "harbour", 2:80 "Ada", then 2:40 "Content-Usage: tdm=n".
        let mut iim_bytes = vec![0x1c, 2, 25, 0, 7];
        iim_bytes.extend_from_slice(b"harbour");
        iim_bytes.extend_from_slice(&[0x1c, 2, 80, 0, 3]);
        iim_bytes.extend_from_slice(b"Ada");
        let profile = encode_raw_profile("iptc", &iim_bytes);
        assert!(profile.starts_with(b"\niptc\n      20\n1c02190007"));
        assert_eq!(decode_raw_profile(&profile).unwrap().1, iim_bytes);
        let long = encode_raw_profile("iptc", &[0xab; 40]);
        let text = String::from_utf8(long).unwrap();
        assert_eq!(text.lines().nth(3).unwrap().len(), 72);
        assert_eq!(text.lines().nth(4).unwrap(), "abababab");

        let t = "Content-Usage: train-ai=n;exceptions=cc-cr";
        let new = raw_profile_with_special_instructions(&profile, Some(t))
            .unwrap()
            .unwrap();
        verify_raw_profile_rewrite(&profile, &new, Some(t)).unwrap();
        assert!(verify_raw_profile_rewrite(&profile, &new, Some("other")).is_err());
        let fields = read_raw_profile(&new).unwrap().unwrap();
        assert_eq!(fields.special_instructions.as_deref(), Some(t));
        assert_eq!(fields.by_line, ["Ada"]);
        let back = raw_profile_with_special_instructions(&new, None)
            .unwrap()
            .unwrap();
        assert_eq!(back, profile, "taking 2:40 out restores the profile text");
    }

    #[test]
    fn raw_profiles_decode_bare_iim_and_reject_bad_hex() {
        // 2:40 "Hi": 1C 02 28 00 02 48 69
        let text = b"\niptc\n       7\n1c02280002\n4869\n";
        let f = read_raw_profile(text).unwrap().unwrap();
        assert_eq!(f.special_instructions.as_deref(), Some("Hi"));
        assert!(read_raw_profile(b"\niptc\n 7\n1c0228000248zz\n").is_err());
        assert!(read_raw_profile(b"\niptc\n 9\n1c02280002\n4869\n").is_err());
        assert!(read_raw_profile(b"").is_err());
    }
}
