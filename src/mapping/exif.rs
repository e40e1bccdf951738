//! EXIF fields that matter to a CC signal: the `Artist` tag, a fallback
//! source for the name to credit.

/// The EXIF `Artist` of a TIFF-structured EXIF block, if present and not blank.
/// A broken EXIF block yields `None`: it is someone else's data and only a
/// fallback here, so it never fails a read.
pub fn artist(tiff: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Artist, exif::In::PRIMARY)?;
    let text = match &field.value {
        exif::Value::Ascii(parts) => parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.display_as(field.tag).to_string(),
    };
    let text = text.trim_matches(char::from(0)).trim().to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiff_with_artist(artist: &[u8]) -> Vec<u8> {
        // Little-endian TIFF: header, IFD0 with one ASCII Artist (0x013B) entry.
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&1u16.to_le_bytes());
        t.extend_from_slice(&0x013Bu16.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&(artist.len() as u32 + 1).to_le_bytes());
        t.extend_from_slice(&26u32.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(artist);
        t.push(0);
        t
    }

    #[test]
    fn reads_artist() {
        assert_eq!(
            artist(&tiff_with_artist(b"Ada Example")),
            Some("Ada Example".into())
        );
    }

    #[test]
    fn blank_or_broken_exif_gives_none() {
        assert_eq!(artist(&tiff_with_artist(b"      ")), None);
        assert_eq!(artist(b"not tiff"), None);
        assert_eq!(artist(&[]), None);
    }
}
